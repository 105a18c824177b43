// Builds an ONNX graph node by node: each op call names its outputs uniquely, initializers hold
// weights (fp32, or fp16 for a half-precision export) and constants are shared by value.
import { floatToF16 } from "@neox/tensor";
import {
  type AttrValue,
  type GraphDef,
  type NodeDef,
  ONNX_FLOAT,
  ONNX_FLOAT16,
  ONNX_INT64,
  type TensorDef,
  type ValueInfoDef,
} from "./proto";

export const int = (value: number): AttrValue => ({ kind: "int", value });
export const float = (value: number): AttrValue => ({ kind: "float", value });
export const ints = (value: readonly number[]): AttrValue => ({ kind: "ints", value });

export type Precision = "fp32" | "fp16";

function bytesOf(a: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** fp32 values as IEEE half bits, rounded to nearest even. */
export function toF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToF16(values[i]!);
  return out;
}

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly initializers: TensorDef[] = [];
  private readonly consts = new Map<string, string>();
  private readonly used = new Set<string>();
  /** The compute type's ONNX element type: FLOAT or FLOAT16. */
  readonly ft: number;

  constructor(readonly precision: Precision) {
    this.ft = precision === "fp16" ? ONNX_FLOAT16 : ONNX_FLOAT;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node with `outputs` results, named after `name`; returns the output names. */
  opN(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attrs: Record<string, AttrValue> = {},
    name = opType,
  ): string[] {
    const node = this.fresh(`/${name}`);
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(`${node}_out${i}`));
    this.nodes.push({ name: node, opType, inputs, outputs: outs, attrs });
    return outs;
  }

  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    name = opType,
  ): string {
    return this.opN(opType, inputs, 1, attrs, name)[0]!;
  }

  /** Like op, but writes to a graph output's own name. */
  opTo(
    output: string,
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
  ): string {
    this.used.add(output);
    this.nodes.push({ name: this.fresh(`/${opType}_${output}`), opType, inputs, outputs: [output], attrs });
    return output;
  }

  /** A weight in the compute precision. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== values.length)
      throw new Error(`onnx export: ${name} has ${values.length} values but its shape [${dims}] holds ${n}`);
    this.used.add(name);
    const raw = this.precision === "fp16" ? bytesOf(toF16(values)) : bytesOf(values);
    this.initializers.push({ name, dataType: this.ft, dims, raw });
    return name;
  }

  /** An int64 constant (shared by value). */
  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims}:${values}`;
    const have = this.consts.get(key);
    if (have) return have;
    const name = this.fresh(`const_i64_${values.join("_").replace(/-/g, "m")}`);
    const raw = bytesOf(BigInt64Array.from(values, (v) => BigInt(v)));
    this.initializers.push({ name, dataType: ONNX_INT64, dims, raw });
    this.consts.set(key, name);
    return name;
  }

  /** A scalar in the compute precision (shared by value). */
  scalar(v: number): string {
    const key = `f:${v}`;
    const have = this.consts.get(key);
    if (have) return have;
    const name = this.fresh(`const_${this.precision}_${this.consts.size}`);
    const f = Float32Array.of(v);
    const raw = this.precision === "fp16" ? bytesOf(toF16(f)) : bytesOf(f);
    this.initializers.push({ name, dataType: this.ft, dims: [], raw });
    this.consts.set(key, name);
    return name;
  }

  /** An fp32 scalar whatever the precision (for steps kept in fp32). */
  scalar32(v: number): string {
    const key = `f32:${v}`;
    const have = this.consts.get(key);
    if (have) return have;
    const name = this.fresh(`const_fp32_${this.consts.size}`);
    this.initializers.push({ name, dataType: ONNX_FLOAT, dims: [], raw: bytesOf(Float32Array.of(v)) });
    this.consts.set(key, name);
    return name;
  }

  graph(name: string, inputs: readonly ValueInfoDef[], outputs: readonly ValueInfoDef[]): GraphDef {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs };
  }
}
