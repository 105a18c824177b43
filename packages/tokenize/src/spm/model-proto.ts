// The parts of SentencePiece's ModelProto (sentencepiece_model.proto) that encoding needs:
// ModelProto { pieces = 1; trainer_spec = 2; normalizer_spec = 3 },
// SentencePiece { piece = 1; score = 2; type = 3 (NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6) },
// TrainerSpec { model_type = 3 (UNIGRAM 1, BPE 2, WORD 3, CHAR 4); treat_whitespace_as_suffix = 24;
//   byte_fallback = 35; unk_id = 40; bos_id = 41; eos_id = 42; pad_id = 43 },
// NormalizerSpec { name = 1; precompiled_charsmap = 2; add_dummy_prefix = 3; remove_extra_whitespaces = 4;
//   escape_whitespaces = 5 }. Defaults are the proto's.

import { fieldFloat, fieldInt32, fieldString, readFields } from "./protobuf";

export const PIECE_NORMAL = 1;
export const PIECE_UNKNOWN = 2;
export const PIECE_CONTROL = 3;
export const PIECE_USER_DEFINED = 4;
export const PIECE_UNUSED = 5;
export const PIECE_BYTE = 6;

export const MODEL_TYPES: Record<number, string> = { 1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR" };

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

export function parseSpmModel(buf: Uint8Array, path: string): SpmModel {
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
  for (const f of readFields(buf, `${path} (ModelProto)`)) {
    if (f.number === 1)
      model.pieces.push(parsePiece(f.bytes, `${path} (pieces[${model.pieces.length}])`, f.offset));
    else if (f.number === 2) parseTrainerSpec(f.bytes, `${path} (trainer_spec)`, f.offset, model);
    else if (f.number === 3) parseNormalizerSpec(f.bytes, `${path} (normalizer_spec)`, f.offset, model);
  }
  if (model.pieces.length === 0) throw new Error(`${path}: no pieces; is this a SentencePiece .model file?`);
  return model;
}

function parsePiece(buf: Uint8Array, where: string, base: number): SpmPiece {
  const p: SpmPiece = { piece: "", score: 0, type: PIECE_NORMAL };
  for (const f of readFields(buf, where, base)) {
    if (f.number === 1) p.piece = fieldString(f, where);
    else if (f.number === 2) p.score = fieldFloat(f, where);
    else if (f.number === 3) p.type = fieldInt32(f, where);
  }
  return p;
}

function parseTrainerSpec(buf: Uint8Array, where: string, base: number, m: SpmModel): void {
  for (const f of readFields(buf, where, base)) {
    if (f.number === 3) m.modelType = fieldInt32(f, where);
    else if (f.number === 24) m.treatWhitespaceAsSuffix = fieldInt32(f, where) !== 0;
    else if (f.number === 35) m.byteFallback = fieldInt32(f, where) !== 0;
    else if (f.number === 40) m.unkId = fieldInt32(f, where);
    else if (f.number === 41) m.bosId = fieldInt32(f, where);
    else if (f.number === 42) m.eosId = fieldInt32(f, where);
    else if (f.number === 43) m.padId = fieldInt32(f, where);
  }
}

function parseNormalizerSpec(buf: Uint8Array, where: string, base: number, m: SpmModel): void {
  for (const f of readFields(buf, where, base)) {
    if (f.number === 1) m.normalizerName = fieldString(f, where);
    else if (f.number === 2) m.precompiledCharsmapBytes = f.bytes.length;
    else if (f.number === 3) m.addDummyPrefix = fieldInt32(f, where) !== 0;
    else if (f.number === 4) m.removeExtraWhitespaces = fieldInt32(f, where) !== 0;
    else if (f.number === 5) m.escapeWhitespaces = fieldInt32(f, where) !== 0;
  }
}
