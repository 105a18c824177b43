/**
 * A dataset, index or cache file that does not hold what its format says it must. The message names the
 * file, the field and the byte offset, and what was expected there.
 */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: ${field} at byte ${offset}: ${detail}`);
    this.name = "DataFormatError";
  }
}
