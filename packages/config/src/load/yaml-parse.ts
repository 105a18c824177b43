// YAML text to a `yaml` Document, with the work bounded: the lexer and the CST parser are driven one
// lexeme at a time so that nesting depth (the parser's open collections) and node count are checked
// as they grow, and a hostile input stops early instead of after building a tree of millions of
// nodes. Only then does the (recursive) composer run, on a tree known to be shallow and small.
// Also refused first: characters PyYAML does not accept in a YAML stream (NUL, other C0/C1 controls).
import { Composer, type Document, Lexer, LineCounter, Parser, Scalar, type ScalarTag } from "yaml";
import type { Problem } from "../problems";
import { LIMIT_HINT, MAX_CONFIG_DEPTH, MAX_CONFIG_NODES } from "./limits";

// PyYAML's YAML 1.1 booleans: yes/no/true/false/on/off in three casings; unlike the `yaml`
// package's 1.1 schema it does not read a bare `y` or `n` as a boolean.
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyBool = (value: boolean, test: RegExp): ScalarTag => ({
  identify: (v) => v === value,
  default: true,
  tag: "tag:yaml.org,2002:bool",
  test,
  resolve: () => new Scalar(value),
});

const COMPOSE_OPTIONS = {
  version: "1.1" as const,
  uniqueKeys: false, // duplicates are reported with both lines by the caller (and the check is O(n²))
  merge: true,
  customTags: (tags: unknown[]) => [
    pyBool(true, PY_TRUE),
    pyBool(false, PY_FALSE),
    ...tags.filter((t) => (t as { tag?: string }).tag !== "tag:yaml.org,2002:bool"),
  ],
};

// PyYAML's reader rejects every character outside its printable set (reader.py NON_PRINTABLE).
const NON_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/;

const SCALAR_MARK = "\u001f"; // the lexer's mark before a plain or block scalar's text

/** Lexemes that each make one node: scalars, quoted scalars, aliases, flow collections, seq items. */
function makesNode(lexeme: string, previous: string): boolean {
  if (previous === SCALAR_MARK) return false; // the scalar's text, counted at its mark
  const c = lexeme[0];
  return (
    lexeme === SCALAR_MARK || lexeme === "-" || c === "*" || c === "'" || c === '"' || c === "[" || c === "{"
  );
}

export interface ParsedYaml {
  doc?: Document;
  lines: LineCounter;
  problems: Problem[];
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const problem = (kind: Problem["kind"], offset: number, message: string): ParsedYaml => {
    const { line, col } = lines.linePos(offset);
    return { lines, problems: [{ kind, file, line, column: col, message }] };
  };

  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    lineStarts(text, lines, bad.index);
    const code = bad[0].charCodeAt(0);
    const name = code === 0 ? "a NUL byte (U+0000)" : `control character U+${hex4(code)}`;
    return problem(
      "yaml_syntax",
      bad.index,
      `${name} is not allowed in a YAML file (PyYAML refuses it too); is this a binary file?`,
    );
  }

  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  const tokens: ReturnType<Parser["end"]> extends Generator<infer T> ? T[] : never = [];
  let nodes = 0;
  let previous = "";
  // The parser's stack holds the document, each open collection and the token being built.
  const maxStack = MAX_CONFIG_DEPTH + 2;
  for (const lexeme of new Lexer().lex(text)) {
    for (const t of parser.next(lexeme)) tokens.push(t);
    if (parser.stack.length > maxStack) {
      return problem(
        "limit",
        parser.offset,
        `nesting deeper than the limit of ${MAX_CONFIG_DEPTH} levels (GPT-NeoX's configs nest 5): ${LIMIT_HINT}`,
      );
    }
    if (makesNode(lexeme, previous) && ++nodes > MAX_CONFIG_NODES) {
      return problem(
        "limit",
        parser.offset,
        `more than the limit of ${MAX_CONFIG_NODES.toLocaleString("en-US")} keys and values (GPT-NeoX's configs hold a few hundred): ${LIMIT_HINT}`,
      );
    }
    previous = lexeme;
  }
  for (const t of parser.end()) tokens.push(t);

  let doc: Document | undefined;
  const composer = new Composer(COMPOSE_OPTIONS as never);
  for (const d of composer.compose(tokens, true, text.length)) {
    if (doc) {
      return problem(
        "yaml_syntax",
        d.range[0],
        "a second YAML document (after ---); a config file holds one mapping",
      );
    }
    doc = d as Document;
  }
  return { doc, lines, problems: [] };
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");

/** Feeds `lines` the line starts up to `end` (for a position found before the parser ran). */
function lineStarts(text: string, lines: LineCounter, end: number): void {
  lines.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
}
