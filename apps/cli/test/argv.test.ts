import { describe, expect, it } from "vitest";
import { intFlag, parseArgv, UsageError } from "../src/argv";

describe("parseArgv", () => {
  const spec = { values: ["--world-size"], repeat: ["--set"], bools: ["--json"] };

  it("splits positionals, values (both spellings), repeats and booleans", () => {
    const a = parseArgv(["a.yml", "--set", "x=1", "--world-size=8", "b.yml", "--set=y=2", "--json"], spec);
    expect(a.positional).toEqual(["a.yml", "b.yml"]);
    expect(a.values.get("--world-size")).toBe("8");
    expect(a.repeated.get("--set")).toEqual(["x=1", "y=2"]);
    expect(a.bools.has("--json")).toBe(true);
    expect(intFlag(a, "--world-size")).toBe(8);
  });

  it("refuses unknown flags, missing values and bad integers", () => {
    expect(() => parseArgv(["--jsn"], spec)).toThrow(UsageError);
    expect(() => parseArgv(["--world-size"], spec)).toThrow("--world-size needs a value");
    expect(() => intFlag(parseArgv(["--world-size", "0"], spec), "--world-size")).toThrow(
      "positive decimal integer",
    );
    for (const bad of ["0x10", "1e3", " 8", "8.0", "-4", "", "9".repeat(16)]) {
      expect(() => intFlag(parseArgv([`--world-size=${bad}`], spec), "--world-size"), bad).toThrow(
        UsageError,
      );
    }
  });
});
