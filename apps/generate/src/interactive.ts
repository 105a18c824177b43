// GPT-NeoX's interactive mode: "Context prompt >>> " on the terminal, the completion streamed token
// by token as it is made, then the next prompt, until the input ends (Ctrl-D, or the end of piped
// stdin, which is how the tests drive it). With prompt_end "\n" a prompt is one line; with any other
// prompt_end, lines gather (newlines kept) until one holds prompt_end, and the text before it is the
// prompt. An empty prompt is the unconditional context [eod].
import { createInterface } from "node:readline";
import type { Scheduler } from "@neox/models";
import type { Tokenizer } from "@neox/tokenize";
import { PromptError, preparePrompt } from "./prompts";
import { generateSamples, TextStream } from "./samples";
import type { GenerateSettings } from "./settings";

export const PROMPT = "Context prompt >>> ";

export interface Terminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

/** Runs the prompt loop; returns how many prompts were completed. */
export async function interactive(
  scheduler: Scheduler,
  tokenizer: Tokenizer,
  s: GenerateSettings,
  term: Terminal,
  signal?: AbortSignal,
): Promise<number> {
  const rl = createInterface({ input: term.input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  const lines = rl[Symbol.asyncIterator]();
  let done = 0;
  try {
    for (;;) {
      term.output.write(PROMPT);
      const raw = await readPrompt(lines, s.promptEnd);
      if (raw === null || signal?.aborted) break;
      let prompt: ReturnType<typeof preparePrompt>;
      try {
        prompt = preparePrompt(raw, tokenizer, s, `prompt ${done + 1}`);
      } catch (err) {
        if (!(err instanceof PromptError)) throw err;
        term.errors.write(`\n${err.message}\n`);
        continue;
      }
      if (prompt.tokens.length >= s.seqLength / 2)
        term.errors.write(
          `warning: the context is ${prompt.tokens.length} tokens, half of seq_length or more\n`,
        );
      const stream = new TextStream(tokenizer);
      const [record] = await generateSamples(scheduler, tokenizer, [prompt], s, {
        firstIndex: done,
        onToken: (_i, t) => term.output.write(stream.push(t.id)),
        ...(signal ? { signal } : {}),
      });
      term.output.write(`${stream.end()}\n`);
      if (record!.message) term.errors.write(`${record!.message}\n`);
      done++;
    }
  } finally {
    rl.close();
  }
  return done;
}

// The next prompt, or null at the end of the input.
async function readPrompt(lines: AsyncIterator<string>, promptEnd: string): Promise<string | null> {
  let text = "";
  for (;;) {
    const next = await lines.next();
    if (next.done) return text === "" ? null : text;
    const line = next.value;
    if (promptEnd === "\n") return line;
    const at = line.indexOf(promptEnd);
    if (at >= 0) return text + line.slice(0, at);
    text += `${line}\n`;
  }
}
