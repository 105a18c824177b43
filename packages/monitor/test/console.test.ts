import { describe, expect, it } from "vitest";
import { ConsoleSink, type ConsoleStream, formatEvalLine } from "../src/console";
import {
  formatConsoleLine,
  formatDuration,
  formatExponent,
  formatProgressBar,
  humanReadableFlops,
} from "../src/console-format";

/** A stream that keeps what is written, with a chosen isTTY. */
class Capture implements ConsoleStream {
  text = "";
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe("console formatting", () => {
  it("formats like Python's {:.NE}", () => {
    expect(formatExponent(6e-4, 3)).toBe("6.000E-04");
    expect(formatExponent(12.25, 6)).toBe("1.225000E+01");
    expect(formatExponent(-3e-100, 3)).toBe("-3.000E-100");
    expect(formatExponent(0, 3)).toBe("0.000E+00");
    expect(formatExponent(Number.NaN, 3)).toBe("NAN");
  });

  it("human-readable flops: one decimal, largest unit under 1000", () => {
    expect(humanReadableFlops(999)).toBe("999.0");
    expect(humanReadableFlops(1500)).toBe("1.5KFLOPS");
    expect(humanReadableFlops(123.45e12)).toBe("123.5TFLOPS");
    expect(humanReadableFlops(2e9)).toBe("2.0GFLOPS");
  });

  it("durations as H:MM:SS with days past 24 h", () => {
    expect(formatDuration(0)).toBe("0:00:00");
    expect(formatDuration(3725)).toBe("1:02:05"); // 3600 + 2·60 + 5
    expect(formatDuration(90061)).toBe("1d 1:01:01"); // 86400 + 3600 + 60 + 1
    expect(formatDuration(Number.NaN)).toBe("?");
  });

  it("progress bar fills in proportion", () => {
    // 3/4 of 8 cells = 6 filled.
    expect(formatProgressBar(3, 4, 8, 65)).toBe("[######--]  75.0% 3/4 ETA 0:01:05");
    expect(formatProgressBar(0, 10, 4)).toBe("[----]   0.0% 0/10");
  });

  it("writes GPT-NeoX's line with the added fields, in order", () => {
    const line = formatConsoleLine({
      iteration: 100,
      train_iters: 1000,
      metrics: {
        "runtime/samples_per_sec": 12.3456,
        "runtime/iteration_time": 0.081,
        "train/learning_rate": 6e-4,
        "runtime/flops_per_sec_per_gpu": 1.24e12,
        "train/lm_loss": 4.5,
        "train/grad_norm": 1.5,
        "runtime/tokens_per_sec": 25283.7,
        "runtime/model_flops_utilization": 40.126,
        "runtime/hardware_flops_utilization": 53.5,
      },
      skippedIterations: 0,
      nanIterations: 1,
      etaSeconds: 72.9,
      memory: { allocatedMB: 512, maxAllocatedMB: 1024.26 },
    });
    expect(line).toBe(
      " samples/sec: 12.346 | iteration      100/    1000 | elapsed time per iteration (ms): 81.0 |" +
        " learning rate: 6.000E-04 | approx flops per GPU: 1.2TFLOPS | lm_loss: 4.500000E+00 |" +
        " grad norm: 1.500E+00 | tokens/sec: 25283.7 | MFU: 40.13% | HFU: 53.50% |" +
        " number of skipped iterations:   0 | number of nan iterations:   1 | ETA: 0:01:13 |" +
        " memory (MB) | allocated: 512.0 | max allocated: 1024.3 |",
    );
  });

  it("leaves out fields whose metrics are missing", () => {
    expect(formatConsoleLine({ iteration: 1, train_iters: 2, metrics: {} })).toBe(
      " iteration        1/       2 |",
    );
  });
});

describe("ConsoleSink", () => {
  it("off a terminal prints plain lines every log_interval, losses averaged over the interval", () => {
    const out = new Capture(false);
    const sink = new ConsoleSink({ train_iters: 4, log_interval: 2, stream: out });
    sink.log(1, { "train/lm_loss": 2, "train/learning_rate": 1e-3 });
    expect(out.text).toBe("");
    sink.log(2, { "train/lm_loss": 6, "train/learning_rate": 2e-3, "runtime/iteration_time": 0.5 });
    sink.log(3, { "train/lm_loss": Number.NaN });
    sink.log(4, { "train/lm_loss": 3, "runtime/iteration_time": 0.5 });
    sink.close();
    const printed = out.text.split("\n").filter((l) => l !== "");
    expect(printed).toHaveLength(2);
    expect(out.text).not.toContain("\r");
    // iterations 1-2: (2 + 6) / 2 = 4; learning rate is the latest; 2 iterations left at 0.5 s = 1 s.
    expect(printed[0]).toContain("lm_loss: 4.000000E+00");
    expect(printed[0]).toContain("learning rate: 2.000E-03");
    expect(printed[0]).toContain("number of nan iterations:   0 | ETA: 0:00:01");
    // iterations 3-4: the NaN is counted, not averaged in: mean of [3] = 3.
    expect(printed[1]).toContain("lm_loss: 3.000000E+00");
    expect(printed[1]).toContain("number of nan iterations:   1");
    expect(printed[1]).toContain("iteration        4/       4");
  });

  it("on a terminal redraws a progress bar and clears it before each line", () => {
    const out = new Capture(true);
    let now = 0;
    const sink = new ConsoleSink({ train_iters: 10, log_interval: 5, stream: out, now: () => now });
    for (let i = 1; i <= 10; i++) {
      now += 1000; // one second per iteration, measured by the sink
      sink.log(i, { "train/lm_loss": 1 });
    }
    sink.close();
    expect(out.text).toContain("\r\x1b[K[");
    // The line at iteration 5 clears the bar first; ETA is 5 left × 1 s measured.
    expect(out.text).toContain("\r\x1b[K iteration        5/      10 | lm_loss: 1.000000E+00 |");
    expect(out.text).toContain("ETA: 0:00:05");
    expect(out.text).toContain("10/10 ETA 0:00:00");
    expect(out.text.endsWith("\n")).toBe(true);
  });

  it("prints memory once, on the first line", () => {
    const out = new Capture(false);
    const sink = new ConsoleSink({
      train_iters: 2,
      stream: out,
      memory: () => ({ allocatedMB: 1, maxAllocatedMB: 2 }),
    });
    sink.log(1, {});
    sink.log(2, {});
    expect(out.text.match(/memory \(MB\)/g)).toHaveLength(1);
  });

  it("prints events as their own line", () => {
    const out = new Capture(false);
    const sink = new ConsoleSink({ train_iters: 2, stream: out });
    sink.event("checkpoint", "saved to ckpt/global_step2", 2);
    expect(out.text).toBe(" iteration 2 | checkpoint: saved to ckpt/global_step2\n");
  });

  it("rejects a log_interval below 1", () => {
    expect(() => new ConsoleSink({ train_iters: 2, log_interval: 0 })).toThrow(
      /log_interval must be an integer >= 1/,
    );
  });
});

describe("evaluation report", () => {
  it("prints GPT-NeoX's framed validation line, numbers as {:.6E}", () => {
    // 4.25 = 4.250000E+00; e^4.25 = 70.105412... = 7.010541E+01
    const text = formatEvalLine(10, {
      "validation/lm_loss": 4.25,
      "validation/lm_loss_ppl": Math.exp(4.25),
    })!;
    const [top, line, bottom] = text.split("\n");
    expect(line).toBe(
      " validation results at iteration 10 | lm_loss value: 4.250000E+00 | lm_loss_ppl value: 7.010541E+01 | ",
    );
    expect(top).toBe("-".repeat(line!.length + 1));
    expect(bottom).toBe(top);
  });

  it("is not used for training metrics or a mix", () => {
    expect(formatEvalLine(3, { "train/lm_loss": 1 })).toBeNull();
    expect(formatEvalLine(3, { "validation/lm_loss": 1, "train/lm_loss": 1 })).toBeNull();
    expect(formatEvalLine(3, {})).toBeNull();
  });

  it("goes through the console sink without touching the training averages", () => {
    const out: string[] = [];
    const sink = new ConsoleSink({
      train_iters: 4,
      log_interval: 2,
      stream: { write: (t: string) => out.push(t) },
    });
    sink.log(1, { "train/lm_loss": 2 });
    sink.log(1, { "test/lm_loss": 3, "test/lm_loss_ppl": Math.exp(3) });
    sink.log(2, { "train/lm_loss": 4 });
    const all = out.join("");
    expect(all).toContain(" test results at iteration 1 | lm_loss value: 3.000000E+00 |");
    expect(all).toContain("lm_loss: 3.000000E+00"); // (2 + 4) / 2
  });
});

describe("skipped iterations and memory", () => {
  it("shows the trainer's skipped count on every line and memory once, without max allocated on CPU", () => {
    const out: string[] = [];
    let skipped = 0;
    const sink = new ConsoleSink({
      train_iters: 4,
      log_interval: 2,
      stream: { write: (t: string) => out.push(t) },
      skipped: () => skipped,
      memory: () => ({ allocatedMB: 12.5, reservedMB: 40, maxReservedMB: 48.5 }),
    });
    skipped = 1;
    sink.log(1, { "train/lm_loss": 2 });
    sink.log(2, { "train/lm_loss": 2 });
    skipped = 3;
    sink.log(3, { "train/lm_loss": 2 });
    sink.log(4, { "train/lm_loss": 2 });
    const lines = out
      .join("")
      .split("\n")
      .filter((l) => l.includes("iteration"));
    expect(lines[0]).toContain("number of skipped iterations:   1");
    expect(lines[0]).toContain("memory (MB) | allocated: 12.5 | reserved: 40.0 | max reserved: 48.5");
    expect(lines[0]).not.toContain("max allocated");
    expect(lines[1]).toContain("number of skipped iterations:   3");
    expect(lines[1]).not.toContain("memory (MB)");
  });
});
