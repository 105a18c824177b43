// A minimal protobuf encoder for the ONNX messages an exported decoder needs, written from
// onnx.proto's field numbers (ONNX IR version 8, opset 17). Only encoding: the runtime parses.
// Large byte fields (initializers' raw_data) are kept as views of the caller's buffers, never
// copied: a message is a list of parts written to the file in order, so an export holds the
// weights once. Protobuf caps a message at 2 GiB; larger models need ONNX's external-data files,
// which this encoder does not write (encodeModel refuses them with the size).

/** ONNX TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_BOOL = 9;
export const ONNX_FLOAT16 = 10;

const MAX_PROTO_BYTES = 2 ** 31 - 1;

/** A protobuf message under construction: small fields in a scratch array, big bytes by reference. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch: number[] = [];
  private bytesBefore = 0;

  get length(): number {
    return this.bytesBefore + this.scratch.length;
  }

  private varint(v: number | bigint): void {
    // Negative int64 values are two's complement in 10 bytes, as protobuf writes them.
    let x = typeof v === "bigint" ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
    if (typeof x === "number" && x < 2 ** 31) {
      while (x > 0x7f) {
        this.scratch.push((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      this.scratch.push(x);
      return;
    }
    let b = BigInt(x);
    while (b > 0x7fn) {
      this.scratch.push(Number(b & 0x7fn) | 0x80);
      b >>= 7n;
    }
    this.scratch.push(Number(b));
  }

  private tag(field: number, wire: 0 | 1 | 2 | 5): void {
    this.varint(field * 8 + wire);
  }

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.parts.push(Uint8Array.from(this.scratch));
    this.bytesBefore += this.scratch.length;
    this.scratch = [];
  }

  /** A varint field: int32, int64 or enum. */
  int(field: number, v: number): this {
    if (!Number.isSafeInteger(v))
      throw new Error(`onnx proto: field ${field} value ${v} is not a safe integer`);
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.scratch.push(...b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** A length-delimited field; bytes over 4 KiB are referenced, not copied. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    if (b.length <= 4096) this.scratch.push(...b);
    else {
      this.flush();
      this.parts.push(b);
      this.bytesBefore += b.length;
    }
    return this;
  }

  /** Repeated int64 as one packed field (proto3's default encoding for repeated scalars). */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.message(field, inner);
  }

  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(4 * values.length);
    const dv = new DataView(b.buffer);
    for (const [i, v] of values.entries()) dv.setFloat32(4 * i, v, true);
    return this.bytes(field, b);
  }

  message(field: number, m: ProtoWriter): this {
    this.tag(field, 2);
    this.varint(m.length);
    this.flush();
    for (const p of m.finish()) this.parts.push(p);
    this.bytesBefore += m.length;
    return this;
  }

  /** The encoded message as parts to write in order. */
  finish(): Uint8Array[] {
    this.flush();
    return this.parts;
  }
}

export interface TensorDef {
  name: string;
  dataType: number;
  dims: readonly number[];
  /** Little-endian element bytes (raw_data). */
  raw: Uint8Array;
}

export type AttrValue =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "ints"; value: readonly number[] }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "string"; value: string }
  | { kind: "tensor"; value: TensorDef };

export interface NodeDef {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, AttrValue>>;
}

/** A graph input or output: element type and dims (a number, or a name for a dynamic dim). */
export interface ValueInfoDef {
  name: string;
  elemType: number;
  dims: readonly (number | string)[];
}

export interface GraphDef {
  name: string;
  nodes: readonly NodeDef[];
  initializers: readonly TensorDef[];
  inputs: readonly ValueInfoDef[];
  outputs: readonly ValueInfoDef[];
}

export interface ModelMeta {
  producerName: string;
  producerVersion: string;
  opset: number;
  /** metadata_props: free-form key/value strings a runtime can read back. */
  metadata?: Readonly<Record<string, string>>;
}

// TensorProto: dims 1, data_type 2, name 8, raw_data 9.
function tensorProto(t: TensorDef): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  return w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
}

// AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20
// (AttributeType FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7).
function attributeProto(name: string, a: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case "float":
      return w.float(2, a.value).int(20, 1);
    case "int":
      return w.int(3, a.value).int(20, 2);
    case "string":
      return w.string(4, a.value).int(20, 3);
    case "tensor":
      return w.message(5, tensorProto(a.value)).int(20, 4);
    case "floats":
      return w.packedFloats(7, a.value).int(20, 6);
    case "ints":
      return w.packedInts(8, a.value).int(20, 7);
  }
}

// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.
function nodeProto(n: NodeDef): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, attributeProto(k, a));
  return w;
}

// ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; TypeProto.Tensor: elem_type 1,
// shape 2; TensorShapeProto: dim 1; Dimension: dim_value 1, dim_param 2.
function valueInfoProto(v: ValueInfoDef): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims)
    shape.message(1, typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

// GraphProto: node 1, name 2, initializer 5, input 11, output 12.
function graphProto(g: GraphDef): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  for (const i of g.inputs) w.message(11, valueInfoProto(i));
  for (const o of g.outputs) w.message(12, valueInfoProto(o));
  return w;
}

/**
 * ModelProto (ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
 * (OperatorSetIdProto: domain 1, version 2), metadata_props 14 (StringStringEntryProto: key 1,
 * value 2)) as parts to write in order.
 */
export function encodeModel(g: GraphDef, meta: ModelMeta): Uint8Array[] {
  const w = new ProtoWriter()
    .int(1, 8) // IR version 8: the one opsets 17 and 18 shipped with
    .string(2, meta.producerName)
    .string(3, meta.producerVersion)
    .message(7, graphProto(g))
    .message(8, new ProtoWriter().string(1, "").int(2, meta.opset));
  for (const [k, v] of Object.entries(meta.metadata ?? {}))
    w.message(14, new ProtoWriter().string(1, k).string(2, v));
  if (w.length > MAX_PROTO_BYTES)
    throw new Error(
      `onnx export: the model is ${w.length} bytes; a protobuf message is at most 2 GiB and external-data files are not written yet`,
    );
  return w.finish();
}
