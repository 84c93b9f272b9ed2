// GGUF v3 format constants and the typed values the writer and reader exchange.
// Spec: gguf-py/gguf/constants.py in the llama.cpp source bundle.

export const GGUF_MAGIC = "GGUF";
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, numbered as in the spec. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** The tensor encodings this generator can write. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
}

/** Elements per block and bytes per block of each encoding. */
export const GGML_BLOCK: Readonly<Record<GgmlType, { readonly elements: number; readonly bytes: number }>> = {
  [GgmlType.F32]: { elements: 1, bytes: 4 },
  [GgmlType.F16]: { elements: 1, bytes: 2 },
  [GgmlType.Q4_0]: { elements: 32, bytes: 18 },
  [GgmlType.Q8_0]: { elements: 32, bytes: 34 },
};

export type ScalarValueType = Exclude<GgufValueType, GgufValueType.ARRAY>;

/**
 * A metadata value with its GGUF type spelled out: JavaScript numbers alone cannot say
 * whether llama.cpp expects a u32, an i32 or an f32 under a key, and it rejects the wrong one.
 */
export type GgufValue =
  | { readonly type: GgufValueType.STRING; readonly value: string }
  | { readonly type: GgufValueType.BOOL; readonly value: boolean }
  | { readonly type: GgufValueType.UINT64 | GgufValueType.INT64; readonly value: bigint }
  | { readonly type: Exclude<ScalarValueType, GgufValueType.STRING | GgufValueType.BOOL | GgufValueType.UINT64 | GgufValueType.INT64>; readonly value: number }
  | { readonly type: GgufValueType.ARRAY; readonly itemType: ScalarValueType; readonly value: readonly (string | number | bigint | boolean)[] };

/** Metadata in the order it is written. */
export type GgufMetadata = ReadonlyMap<string, GgufValue>;

/** How a tensor's bytes are produced while streaming the file. */
export type TensorData =
  /** Exact values, encoded with the tensor's type (quantized types round). */
  | { readonly kind: "values"; readonly values: Float32Array }
  /** Every element the same value (zeros, RMSNorm weights of one). */
  | { readonly kind: "constant"; readonly value: number }
  /**
   * Random weights of magnitude about `scale`. Cheap by design: quantized types get random
   * int8/nibble payloads straight from the CSPRNG with one fixed block scale.
   */
  | { readonly kind: "random"; readonly scale: number }
  /**
   * Row by row (a row is dims[0] values): `fill(row, out)` writes row `row` into `out`, which
   * arrives zeroed. For big tables that would not fit in memory as one array.
   */
  | { readonly kind: "rows"; readonly fill: (row: number, out: Float32Array) => void };

export interface TensorSpec {
  readonly name: string;
  /** ggml order: dims[0] is the contiguous (row) dimension. */
  readonly dims: readonly number[];
  readonly type: GgmlType;
  readonly data: TensorData;
}

export interface GgufModelSpec {
  readonly metadata: GgufMetadata;
  readonly tensors: readonly TensorSpec[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function tensorByteSize(dims: readonly number[], type: GgmlType): number {
  const block = GGML_BLOCK[type];
  const elements = elementCount(dims);
  if (dims[0]! % block.elements !== 0) {
    throw new Error(`row length ${dims[0]} is not a multiple of ${block.elements} as ${GgmlType[type]} needs`);
  }
  return (elements / block.elements) * block.bytes;
}

export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}
