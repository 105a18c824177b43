import { describe, expect, it } from "vitest";
import * as convert from "../src/index";

describe("@neox/convert", () => {
  it("loads as a module", () => {
    expect(typeof convert).toBe("object");
  });
});
