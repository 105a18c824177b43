// NeoXArgsTokenizer (GPT-NeoX megatron/neox_arguments/neox_args.py). Tokenizers themselves are
// @neox/tokenize's concern; the vocab/merge file paths live in NeoXArgsTraining.
import { type ArgDecl, type ArgType, arg as declare, type Support, t } from "../schema/types";

const arg = (name: string, type: ArgType, def: unknown, doc: string, support?: Support): ArgDecl =>
  declare("tokenizer", name, type, def, doc, support);

export const TOKENIZER_ARGS: readonly ArgDecl[] = [
  arg(
    "tokenizer_type",
    t.literal(
      "GPT2BPETokenizer",
      "HFTokenizer",
      "HFGPT2Tokenizer",
      "SPMTokenizer",
      "CharLevelTokenizer",
      "TiktokenTokenizer",
    ),
    "GPT2BPETokenizer",
    "Tokenizer kind; vocab_file (and merge_file for GPT2BPETokenizer) point at its files.",
  ),
  arg(
    "padded_vocab_size",
    t.int,
    null,
    "Derived: vocabulary padded to make_vocab_size_divisible_by x model_parallel_size.",
  ),
];
