// The parts of SentencePiece's ModelProto (sentencepiece_model.proto) that encoding needs:
// ModelProto { pieces = 1; trainer_spec = 2; normalizer_spec = 3 },
// SentencePiece { piece = 1; score = 2; type = 3 (NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6) },
// TrainerSpec { model_type = 3 (UNIGRAM 1, BPE 2, WORD 3, CHAR 4); treat_whitespace_as_suffix = 24;
//   byte_fallback = 35; unk_id = 40; bos_id = 41; eos_id = 42; pad_id = 43 },
// NormalizerSpec { name = 1; precompiled_charsmap = 2; add_dummy_prefix = 3; remove_extra_whitespaces = 4;
//   escape_whitespaces = 5 }. Defaults are the proto's.
// What SentencePiece's own loader refuses is refused here too, as a ProtoError naming the file, the
// field and its byte offset: a piece that is empty or not UTF-8, a NaN score, an unknown piece or
// model type, special ids outside the vocabulary; and more pieces than MAX_SPM_PIECES.

import {
  expectWire,
  type Field,
  fieldBool,
  fieldFloat,
  fieldInt32,
  fieldString,
  forEachField,
  ProtoError,
  WIRE_LEN,
} from "./protobuf";

export const PIECE_NORMAL = 1;
export const PIECE_UNKNOWN = 2;
export const PIECE_CONTROL = 3;
export const PIECE_USER_DEFINED = 4;
export const PIECE_UNUSED = 5;
export const PIECE_BYTE = 6;

export const MODEL_TYPES: Record<number, string> = { 1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR" };

/**
 * Pieces in one model. The largest SentencePiece vocabularies have 256,000 pieces (Gemma); each piece
 * costs about 200 bytes here, so 2^22 bounds a model to under 1 GB however the file is crafted
 * (an empty piece is 2 bytes of file, so a 100 MB file could otherwise ask for 50 million).
 */
export const MAX_SPM_PIECES = 2 ** 22;

export interface SpmPiece {
  piece: string;
  score: number;
  type: number;
}

export interface SpmModel {
  pieces: SpmPiece[];
  modelType: number;
  treatWhitespaceAsSuffix: boolean;
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  normalizerName: string;
  precompiledCharsmapBytes: number;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/**
 * Parses a SentencePiece `.model`; `path` names the file in errors. Throws ProtoError.
 * `maxPieces` lowers the piece bound (tests use it to reach the bound without a 20 MB model).
 */
export function parseSpmModel(buf: Uint8Array, path: string, maxPieces = MAX_SPM_PIECES): SpmModel {
  const model: SpmModel = {
    pieces: [],
    modelType: 1,
    treatWhitespaceAsSuffix: false,
    byteFallback: false,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    normalizerName: "",
    precompiledCharsmapBytes: 0,
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  const where = `${path} (ModelProto)`;
  forEachField(buf, where, 0, (f) => {
    if (f.number === 1) {
      if (model.pieces.length >= maxPieces)
        throw new ProtoError(
          `${where}: more than ${maxPieces.toLocaleString("en-US")} pieces (at byte ${f.offset}); the largest SentencePiece vocabularies have ~256,000`,
        );
      expectWire(f, WIRE_LEN, "pieces", where);
      model.pieces.push(parsePiece(f, `${path} (pieces[${model.pieces.length}])`));
    } else if (f.number === 2) {
      expectWire(f, WIRE_LEN, "trainer_spec", where);
      parseTrainerSpec(f, `${path} (trainer_spec)`, model);
    } else if (f.number === 3) {
      expectWire(f, WIRE_LEN, "normalizer_spec", where);
      parseNormalizerSpec(f, `${path} (normalizer_spec)`, model);
    }
  });
  if (model.pieces.length === 0)
    throw new ProtoError(`${path}: no pieces; is this a SentencePiece .model file?`);
  const n = model.pieces.length;
  const id = (name: string, v: number, min: number) => {
    if (v < min || v >= n)
      throw new ProtoError(
        `${path} (trainer_spec): ${name} ${v} is outside the ${n} pieces (expected ${min < 0 ? "-1 (none) or " : ""}0 to ${n - 1})`,
      );
  };
  id("unk_id", model.unkId, 0);
  id("bos_id", model.bosId, -1);
  id("eos_id", model.eosId, -1);
  id("pad_id", model.padId, -1);
  return model;
}

function parsePiece(field: Field, where: string): SpmPiece {
  const p: SpmPiece = { piece: "", score: 0, type: PIECE_NORMAL };
  forEachField(field.bytes, where, field.payloadOffset, (f) => {
    if (f.number === 1) p.piece = fieldString(f, where, "piece");
    else if (f.number === 2) {
      p.score = fieldFloat(f, where, "score");
      if (Number.isNaN(p.score))
        throw new ProtoError(`${where}: score at byte ${f.payloadOffset} is NaN; merges are ranked by score`);
    } else if (f.number === 3) {
      p.type = fieldInt32(f, where, "type");
      if (p.type < PIECE_NORMAL || p.type > PIECE_BYTE)
        throw new ProtoError(
          `${where}: type ${p.type} at byte ${f.payloadOffset} is not a SentencePiece piece type (1 NORMAL to 6 BYTE)`,
        );
    }
  });
  if (p.piece === "")
    throw new ProtoError(
      `${where}: the piece at byte ${field.offset} is empty (SentencePiece refuses empty pieces)`,
    );
  return p;
}

function parseTrainerSpec(field: Field, where: string, m: SpmModel): void {
  forEachField(field.bytes, where, field.payloadOffset, (f) => {
    if (f.number === 3) {
      m.modelType = fieldInt32(f, where, "model_type");
      if (!(m.modelType in MODEL_TYPES))
        throw new ProtoError(
          `${where}: model_type ${m.modelType} at byte ${f.payloadOffset} is not a SentencePiece model type (1 UNIGRAM to 4 CHAR)`,
        );
    } else if (f.number === 24) m.treatWhitespaceAsSuffix = fieldBool(f, where, "treat_whitespace_as_suffix");
    else if (f.number === 35) m.byteFallback = fieldBool(f, where, "byte_fallback");
    else if (f.number === 40) m.unkId = fieldInt32(f, where, "unk_id");
    else if (f.number === 41) m.bosId = fieldInt32(f, where, "bos_id");
    else if (f.number === 42) m.eosId = fieldInt32(f, where, "eos_id");
    else if (f.number === 43) m.padId = fieldInt32(f, where, "pad_id");
  });
}

function parseNormalizerSpec(field: Field, where: string, m: SpmModel): void {
  forEachField(field.bytes, where, field.payloadOffset, (f) => {
    if (f.number === 1) m.normalizerName = fieldString(f, where, "name");
    else if (f.number === 2) {
      expectWire(f, WIRE_LEN, "precompiled_charsmap", where);
      m.precompiledCharsmapBytes = f.bytes.length;
    } else if (f.number === 3) m.addDummyPrefix = fieldBool(f, where, "add_dummy_prefix");
    else if (f.number === 4) m.removeExtraWhitespaces = fieldBool(f, where, "remove_extra_whitespaces");
    else if (f.number === 5) m.escapeWhitespaces = fieldBool(f, where, "escape_whitespaces");
  });
}
