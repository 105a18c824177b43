// GPT-NeoX's SPMTokenizer: a SentencePiece `tokenizer.model` (Llama, Mistral). vocab_size =
// get_piece_size(). GPT-NeoX sets eod = piece_to_id("<|endoftext|>"), which is unk (0) for Llama's
// model (GPT-NeoX issue #841); we use that piece when the model has it and the model's eos
// (`</s>`) otherwise, so `--append-eod` ends documents with a real end-of-sequence token.
// Encoding is SentencePiece's BPE algorithm; unigram models are refused with a pointer to HFTokenizer.

import { readTokenizerBytes } from "./read-file";
import { type SpmVocab, spmBpeEncode } from "./spm/bpe-encode";
import {
  MODEL_TYPES,
  PIECE_BYTE,
  PIECE_CONTROL,
  PIECE_NORMAL,
  PIECE_UNKNOWN,
  PIECE_UNUSED,
  PIECE_USER_DEFINED,
  parseSpmModel,
  type SpmModel,
} from "./spm/model-proto";
import type { Tokenizer } from "./tokenizer";

const SPACE = "\u2581"; // "▁", SentencePiece's visible space

export class SPMTokenizer implements Tokenizer {
  readonly type = "SPMTokenizer" as const;
  readonly engine = "sentencepiece-bpe" as const;
  readonly vocabSize: number;
  readonly eod: number;
  readonly pad: number | undefined;
  readonly model: SpmModel;
  private readonly vocab: SpmVocab;

  constructor(vocabFile: string) {
    let buf: Uint8Array;
    try {
      buf = readTokenizerBytes(vocabFile);
    } catch (err) {
      throw new Error(
        `SPMTokenizer: cannot read ${vocabFile} (${(err as Error).message}); pass a SentencePiece tokenizer.model`,
      );
    }
    const m = parseSpmModel(buf, vocabFile);
    this.model = m;
    if (m.modelType !== 2) {
      throw new Error(
        `SPMTokenizer: ${vocabFile} is a SentencePiece ${MODEL_TYPES[m.modelType] ?? m.modelType} model; only BPE models (Llama, Mistral) are supported. Use the model's tokenizer.json with --tokenizer-type HFTokenizer.`,
      );
    }
    if (m.precompiledCharsmapBytes > 0 || m.treatWhitespaceAsSuffix) {
      throw new Error(
        `SPMTokenizer: ${vocabFile} uses ${m.treatWhitespaceAsSuffix ? "treat_whitespace_as_suffix" : `the "${m.normalizerName}" normalization table`}, which is not supported; use the model's tokenizer.json with --tokenizer-type HFTokenizer.`,
      );
    }
    const mergeable = new Map<string, { id: number; score: number }>();
    const ids = new Map<string, number>();
    const userDefined: string[] = [];
    let byteIds: Int32Array | undefined;
    m.pieces.forEach((p, id) => {
      if (p.type === PIECE_UNUSED) {
        throw new Error(
          `SPMTokenizer: ${vocabFile} has UNUSED piece ${id} "${p.piece}", which is not supported`,
        );
      }
      if (p.type === PIECE_NORMAL || p.type === PIECE_USER_DEFINED)
        mergeable.set(p.piece, { id, score: p.score });
      if (p.type === PIECE_USER_DEFINED) userDefined.push(p.piece);
      // PieceToId prefers reserved pieces (control, unknown, byte) over normal ones of the same text.
      const reserved = p.type === PIECE_CONTROL || p.type === PIECE_UNKNOWN || p.type === PIECE_BYTE;
      if (reserved || !ids.has(p.piece)) ids.set(p.piece, id);
      const byte = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
      if (p.type === PIECE_BYTE && byte) {
        byteIds ??= new Int32Array(256).fill(-1);
        byteIds[Number.parseInt(byte[1]!, 16)] = id;
      }
    });
    if (m.byteFallback && (!byteIds || byteIds.includes(-1))) {
      throw new Error(
        `SPMTokenizer: ${vocabFile} enables byte_fallback but lacks some of the 256 <0xXX> pieces`,
      );
    }
    this.vocab = {
      mergeable,
      ids,
      userDefined,
      byteIds: m.byteFallback ? byteIds : undefined,
      unkId: m.unkId,
    };
    this.vocabSize = m.pieces.length;
    this.eod = ids.get("<|endoftext|>") ?? (m.eosId >= 0 ? m.eosId : m.unkId);
    this.pad = m.padId >= 0 ? m.padId : undefined;
  }

  /** SentencePiece's normalizer with an identity table: whitespace trimming, dummy prefix, ▁ for space. */
  normalize(text: string): string {
    const m = this.model;
    let t = text;
    if (m.removeExtraWhitespaces) t = t.replace(/^ +| +$/g, "").replace(/ {2,}/g, " ");
    if (t.length === 0) return "";
    if (m.addDummyPrefix) t = ` ${t}`;
    return m.escapeWhitespaces ? t.replaceAll(" ", SPACE) : t;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    spmBpeEncode(this.vocab, this.normalize(text), out);
    return out;
  }

  encodeInto(text: string, out: number[]): void {
    spmBpeEncode(this.vocab, this.normalize(text), out);
  }

  /** SentencePiece DecodeIds: control pieces vanish, byte pieces join into UTF-8, ▁ becomes a space. */
  decode(ids: readonly number[]): string {
    const m = this.model;
    let s = "";
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length > 0) s += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const p = m.pieces[id];
      if (!p)
        throw new Error(`SPMTokenizer: id ${id} is outside the vocabulary of ${m.pieces.length} pieces`);
      if (p.type === PIECE_BYTE) {
        bytes.push(Number.parseInt(p.piece.slice(3, 5), 16));
        continue;
      }
      flush();
      if (p.type === PIECE_CONTROL) continue;
      s += p.type === PIECE_UNKNOWN ? " \u2047 " : p.piece;
    }
    flush();
    s = s.replaceAll(SPACE, " ");
    return m.addDummyPrefix && s.startsWith(" ") ? s.slice(1) : s;
  }
}
