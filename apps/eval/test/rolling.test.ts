// The harness's rolling windows (get_rolling_token_windows + make_disjoint_window, context_len 1):
// a hand-worked case, and on many lengths every token predicted exactly once, with the most
// context the window allows.
import { describe, expect, it } from "vitest";
import { rollingWindows, scoreInputs } from "../src/encode";

const P = 99; // the prefix (end-of-text) token

describe("rollingWindows", () => {
  it("matches the harness's windows worked by hand (10 tokens, max length 4)", () => {
    const t = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // first: ([P] + t[:3], t[:4]) -> context [P]; then end 8: a = t[3:7], b = t[4:8] -> context a[:1];
    // then end 10 (2 left): a = t[5:9], b = t[8:10] -> context a[:3]
    expect(rollingWindows(t, P, 4)).toEqual([
      { context: [P], continuation: [1, 2, 3, 4] },
      { context: [4], continuation: [5, 6, 7, 8] },
      { context: [6, 7, 8], continuation: [9, 10] },
    ]);
  });

  it("is one window [prefix] -> all tokens when they fit, none for an empty document", () => {
    expect(rollingWindows([5, 6], P, 4)).toEqual([{ context: [P], continuation: [5, 6] }]);
    expect(rollingWindows([], P, 4)).toEqual([]);
  });

  it("predicts every token exactly once, in order, each reading the window's full context", () => {
    for (const L of [1, 2, 3, 7, 16]) {
      for (let n = 1; n <= 40; n++) {
        const t = Array.from({ length: n }, (_, i) => 1000 + i);
        const windows = rollingWindows(t, P, L);
        expect(windows.flatMap((w) => w.continuation)).toEqual(t);
        for (const [k, w] of windows.entries()) {
          // the model reads exactly what the harness feeds it: (context + continuation)[-(L+1):][:-1]
          const [input] = scoreInputs(w, L);
          expect(input!.tokens.length).toBeLessThanOrEqual(L);
          const all = [...w.context, ...w.continuation];
          expect(input!.tokens).toEqual(all.slice(-(L + 1)).slice(0, -1));
          // each window after the first reads L tokens: the most the model can see
          if (k > 0) expect(input!.tokens.length).toBe(L);
          // and its context is the text right before its continuation
          const start = t.indexOf(w.continuation[0]!);
          if (k > 0) expect(w.context).toEqual(t.slice(start - w.context.length, start));
        }
      }
    }
  });
});
