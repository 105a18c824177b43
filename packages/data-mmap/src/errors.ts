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

/**
 * A request that this input or this machine cannot serve: a num_samples whose index would not fit in
 * memory or on disk, a seq_length beyond what a sample buffer can hold, documents without tokens, a
 * blending weight that is not a number. `param` is GPT-NeoX's name for what to change (num_samples,
 * seq_length, seed, train_epochs, documents, train_data_weights[1], ...), `value` what was asked and
 * `limit` the largest value that would be served, where one exists.
 */
export class DataRequestError extends Error {
  constructor(
    readonly param: string,
    readonly value: number | string,
    readonly reason: string,
    readonly limit?: number,
  ) {
    super(`${param} ${value}: ${reason}`);
    this.name = "DataRequestError";
  }
}
