// The small type language for GPT-NeoX arguments, mirroring the Python annotations in
// megatron/neox_arguments/neox_args.py (int, float, bool, str, Literal[...], list, dict, Optional,
// Union). `float` accepts ints, as GPT-NeoX's validate_types does.

export type ArgType =
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "bool" }
  | { kind: "str" }
  | { kind: "literal"; values: readonly (string | number | boolean)[] }
  | { kind: "list"; of: ArgType }
  /**
   * A dict. With `fields`, its keys are known: each value is type-checked (and range-checked by its
   * dotted path in validate/ranges), `required` keys must be present, and an unknown key is an
   * error with a "did you mean" unless the dict is `open` (DeepSpeed passes more keys through).
   */
  | { kind: "dict"; fields?: Readonly<Record<string, ArgType>>; required?: readonly string[]; open?: boolean }
  | { kind: "any" }
  | { kind: "union"; of: readonly ArgType[] }
  | { kind: "optional"; of: ArgType };

export const t = {
  int: { kind: "int" } as ArgType,
  float: { kind: "float" } as ArgType,
  bool: { kind: "bool" } as ArgType,
  str: { kind: "str" } as ArgType,
  dict: { kind: "dict" } as ArgType,
  /** A dict with known keys (see ArgType "dict"). */
  struct: (
    fields: Readonly<Record<string, ArgType>>,
    opts: { required?: readonly string[]; open?: boolean } = {},
  ): ArgType => ({ kind: "dict", fields, ...opts }),
  any: { kind: "any" } as ArgType,
  literal: (...values: (string | number | boolean)[]): ArgType => ({ kind: "literal", values }),
  list: (of: ArgType): ArgType => ({ kind: "list", of }),
  union: (...of: ArgType[]): ArgType => ({ kind: "union", of }),
  /** `Optional[X]`: the value may also be None/null. */
  opt: (of: ArgType): ArgType => ({ kind: "optional", of }),
};

/** GPT-NeoX's argument classes; `category` decides the section of the generated reference. */
export type Category =
  | "parallelism"
  | "model"
  | "optimizer"
  | "lr_scheduler"
  | "logging"
  | "other"
  | "tokenizer"
  | "training"
  | "textgen"
  | "moe"
  | "deepspeed_config"
  | "deepspeed_runner";

/**
 * How this backend treats a key.
 * - supported: honoured (or will be honoured by the package that owns the feature).
 * - no_effect: accepted, changes nothing here (CUDA fused-kernel switches, DeepSpeed internals);
 *   `config show/check` print the note when the key is set. Never for a switch that changes numbers.
 * - unsupported: accepted at its default; any other value (or one `when` matches) is an
 *   `unsupported` error: "<describe>: <feature> is not supported yet".
 */
export type Support =
  | { status: "supported" }
  | { status: "no_effect"; note: string }
  | {
      status: "unsupported";
      feature: string;
      /** Values that trigger the error; default: any value other than the declared default. */
      when?: (value: unknown) => boolean;
      /** How the error names the setting, e.g. "moe_num_experts > 1"; default "key=value". */
      describe?: string;
      /**
       * For keys whose values name different features (`attention_config` layer types,
       * `train_impl`): the setting and feature for this value, overriding `describe`/`feature`.
       * Undefined means "not triggered"; `unsupportedMessage` in ../args/support applies it.
       */
      explain?: (value: unknown) => { describe: string; feature: string } | undefined;
    };

export interface ArgDecl {
  /** Canonical GPT-NeoX name (snake_case). */
  name: string;
  type: ArgType;
  /** GPT-NeoX's default at HEAD (null for None). */
  default: unknown;
  /** One line. */
  doc: string;
  category: Category;
  support: Support;
}

export const SUPPORTED: Support = { status: "supported" };
export const noEffect = (note: string): Support => ({ status: "no_effect", note });
export const unsupported = (
  feature: string,
  opts: {
    when?: (value: unknown) => boolean;
    describe?: string;
    explain?: (value: unknown) => { describe: string; feature: string } | undefined;
  } = {},
): Support => ({ status: "unsupported", feature, ...opts });

/** Declares an argument; `support` defaults to supported. */
export function arg(
  category: Category,
  name: string,
  type: ArgType,
  def: unknown,
  doc: string,
  support: Support = SUPPORTED,
): ArgDecl {
  return { name, type, default: def, doc, category, support };
}

/** Renders a type as GPT-NeoX's annotation would read, for docs and error messages. */
export function typeName(ty: ArgType): string {
  switch (ty.kind) {
    case "literal":
      return `Literal[${ty.values.map((v) => JSON.stringify(v)).join(", ")}]`;
    case "list":
      return `list[${typeName(ty.of)}]`;
    case "union":
      return `Union[${ty.of.map(typeName).join(", ")}]`;
    case "optional":
      return `Optional[${typeName(ty.of)}]`;
    default:
      return ty.kind;
  }
}
