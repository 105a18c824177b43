// Class: a run that stops early (interrupt, failure) or was killed must leave nothing behind and lose
// nothing silently. The abort signal (what SIGINT/SIGTERM become in the neox command) stops reading,
// terminates the workers and removes the temporaries; a later run removes the temporaries a killed run
// left (its pid is gone) and says so, and keeps those of a run still alive.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { prepareData } from "../src/run";
import { capture, leftovers, prepareArgs, threadCount } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "prepare-data-interrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ~12 MB: a dozen batches, several seconds of tokenizing on two workers.
const big = join(dir, "big.jsonl");
writeFileSync(
  big,
  `${Array.from({ length: 120_000 }, (_, i) => JSON.stringify({ text: `document ${i} ${"lorem ipsum ".repeat(8)}` })).join("\n")}\n`,
);

describe("interrupting a run", () => {
  it("abort mid-run: rejects with the signal's reason, no output, no temporaries, no worker threads", async () => {
    await prepareData(prepareArgs({ input: [big], outputPrefix: join(dir, "warm") }), capture()); // libuv's pool
    const threads = threadCount();
    const out = join(dir, "out");
    mkdirSync(out);
    const ac = new AbortController();
    const reason = new Error("interrupted (SIGINT)");
    const run = prepareData(prepareArgs({ input: [big], outputPrefix: join(out, "big"), workers: 2 }), {
      ...capture(),
      signal: ac.signal,
    });
    // Abort once the temporaries exist: the run is under way.
    for (let i = 0; i < 200 && leftovers(out, "big").length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(leftovers(out, "big").some((f) => f.includes(".tmp-"))).toBe(true);
    const t = performance.now();
    ac.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(leftovers(out, "big")).toEqual([]);
    expect(threadCount()).toBeLessThanOrEqual(threads);
  });

  it("a signal already aborted: nothing starts", async () => {
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    await expect(
      prepareData(prepareArgs({ input: [big], outputPrefix: join(dir, "never") }), {
        ...capture(),
        signal: ac.signal,
      }),
    ).rejects.toThrow("stop");
    expect(leftovers(dir, "never")).toEqual([]);
  });

  it("a failing input mid-run (a bad .gz after a good file) leaves the previous dataset as it was", async () => {
    const good = join(dir, "good.jsonl");
    writeFileSync(good, '{"text":"kept"}\n');
    const prefix = join(dir, "prev");
    await prepareData(prepareArgs({ input: [good], outputPrefix: prefix }), capture());
    const before = leftovers(dir, "prev");
    writeFileSync(join(dir, "bad.jsonl.gz"), "this is not gzip");
    await expect(
      prepareData(prepareArgs({ input: [big, join(dir, "bad.jsonl.gz")], outputPrefix: prefix }), capture()),
    ).rejects.toThrow(/bad\.jsonl\.gz: not gzip data/);
    expect(leftovers(dir, "prev")).toEqual(before);
  });
});

describe("temporaries left by a killed run", () => {
  it("are removed by the next run with a note; a live process's temporaries are kept", async () => {
    const d = join(dir, "stale");
    mkdirSync(d);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!; // exited: its pid is free
    const prefix = join(d, "ds");
    const stale = [`ds_text_document.bin.tmp-${dead}-abc123`, `ds_text_document.idx.tmp-${dead}-def456`];
    const live = `ds_text_document.bin.tmp-${process.pid}-zzz999`;
    const unrelated = `ds_text_document.bin.tmp-${dead}`; // not a temporaries' name: left alone
    for (const f of [...stale, live, unrelated]) writeFileSync(join(d, f), "debris");
    const input = join(dir, "one.jsonl");
    writeFileSync(input, '{"text":"one"}\n');
    const err = capture();
    await prepareData(prepareArgs({ input: [input], outputPrefix: prefix }), err);
    expect(err.text()).toContain(
      `prepare-data: removed 2 temporary files left by an earlier run that was killed: ${join(d, stale[0]!)}, ${join(d, stale[1]!)}`,
    );
    expect(leftovers(d, "ds")).toEqual(
      ["ds_text_document.bin", "ds_text_document.idx", live, unrelated].sort(),
    );
  });
});
