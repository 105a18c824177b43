// `neox serve`'s flags: defaults, both spellings of a valued flag, and usage errors (exit 2).
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../src/index";

describe("parseArgs", () => {
  it("takes configs, --set and the server's flags", () => {
    expect(
      parseArgs(["a.yml", "--set", "load=ck", "--port", "0", "b.yml", "--slots=4", "--host", "::1"]),
    ).toEqual({
      configs: ["a.yml", "b.yml"],
      overrides: ["load=ck"],
      port: 0,
      host: "::1",
      slots: 4,
      maxBodyBytes: 4 * 2 ** 20,
      weights: "fp32",
    });
    const d = parseArgs(["a.yml", "--max-body-bytes", "100", "--weights", "bf16"]);
    expect(d !== "help" && [d.port, d.slots, d.maxBodyBytes, d.weights]).toEqual([8000, 16, 100, "bf16"]);
    expect(parseArgs(["a.yml", "-h"])).toBe("help");
  });

  it("refuses what it cannot use, as usage errors", () => {
    const usage = (argv: string[]) => {
      try {
        parseArgs(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(usage([])).toBe("no config files given (see neox serve --help)");
    expect(usage(["a.yml", "--port", "70000"])).toBe("--port expects an integer in [0, 65535], got 70000");
    expect(usage(["a.yml", "--slots", "0"])).toBe("--slots expects an integer in [1, 4096], got 0");
    expect(usage(["a.yml", "--slots"])).toBe("--slots expects a value, got nothing");
    expect(usage(["a.yml", "--set", "x"])).toBe("--set expects key=value, got x");
    expect(usage(["a.yml", "--weights", "fp16"])).toBe("--weights expects fp32 or bf16, got fp16");
    expect(usage(["a.yml", "--text-gen-type", "x"])).toBe(
      "unknown option --text-gen-type (see neox serve --help)",
    );
  });
});
