// GPT-2's reversible byte <-> printable-character map (`bytes_to_unicode` in OpenAI's encoder.py, also
// Hugging Face's ByteLevel pre-tokenizer): printable Latin-1 bytes map to themselves, the other 68
// bytes to U+0100.. in byte order, so every byte string becomes a string of visible characters.

function buildByteToChar(): string[] {
  const kept = new Set<number>();
  for (let b = 0x21; b <= 0x7e; b++) kept.add(b);
  for (let b = 0xa1; b <= 0xac; b++) kept.add(b);
  for (let b = 0xae; b <= 0xff; b++) kept.add(b);
  const table = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(kept.has(b) ? b : 256 + next++);
  return table;
}

/** BYTE_TO_CHAR[b] is the visible character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The inverse map, char code -> byte (-1 for characters that stand for no byte). */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const inv = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => {
    inv[c.charCodeAt(0)] = b;
  });
  return inv;
})();
