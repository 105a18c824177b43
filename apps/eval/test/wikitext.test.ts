// wikitext: article splitting as the wikitext_document_level script does it, the harness's
// detokenizer rules, and word counts as Python's re.split.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countWords, splitPages, wikitextDetokenize } from "../src/tasks/wikitext";
import { sharedData } from "./shared-data";

describe("splitPages", () => {
  it("starts a page at each top-level ' = Title = ' line, not at ' = = Section = = '", () => {
    const raw = " = A = \r\n x \r\n = = B = = \r\n y \r\n = C = \r\n z";
    expect(splitPages(raw)).toEqual([" = A = \n x \n = = B = = \n y ", " = C = \n z"]);
  });

  const dir = sharedData("eval/wikitext");
  it.skipIf(!dir)("covers the whole local test file, each page opening with its title", () => {
    const raw = readFileSync(join(dir!, "wiki.test.raw"), "utf8");
    const pages = splitPages(raw);
    expect(pages.join("\n")).toEqual(raw.replaceAll("\r\n", "\n"));
    for (const p of pages) expect(p.split("\n")[0]).toMatch(/^ = [^=].* = $/);
  });
});

describe("wikitextDetokenize", () => {
  it("undoes WikiText's tokenization rule by rule", () => {
    expect(wikitextDetokenize("1 @,@ 000 and 3 @.@ 5 and well @-@ known")).toBe(
      "1,000 and 3.5 and well-known",
    );
    expect(wikitextDetokenize("a , b . c ; d : e ! f ? g")).toBe("a, b. c; d: e! f? g");
    expect(wikitextDetokenize('see ( the note ) and [ 1 ] and " quoted "')).toBe(
      'see (the note) and [1] and "quoted"',
    );
    expect(wikitextDetokenize(" = = Career = = \n")).toBe(" == Career ==\n");
    expect(wikitextDetokenize("the dog 's bone and the dogs ' bones")).toBe(
      "the dog's bone and the dogs' bones",
    );
    expect(wikitextDetokenize("it was 5 ° C and N is 2")).toBe("it was 5°C and 1 is 2"); // " N " is a number
    expect(wikitextDetokenize("a N b")).toBe("a 1 b");
  });
});

describe("countWords", () => {
  it("counts as len(re.split(r'\\s+', s)), empty ends included", () => {
    expect(countWords("a b")).toBe(2);
    expect(countWords(" a  b \n")).toBe(4); // ['', 'a', 'b', '']
  });
});
