// Tensor encoders. Q8_0 and Q4_0 follow ggml's reference quantizers
// (quantize_row_q8_0_ref, quantize_row_q4_0_ref in ggml-quants.c) so round trips match llama.cpp.
import { randomFillSync } from "node:crypto";
import { f32ToF16Bits } from "./f16";
import { GGML_BLOCK, GgmlType } from "./types";

/** Encodes `values` (a whole number of blocks) into `out` at `offset`; returns the bytes written. */
export function encodeValues(values: Float32Array, type: GgmlType, out: Buffer, offset: number): number {
  switch (type) {
    case GgmlType.F32:
      return encodeF32(values, out, offset);
    case GgmlType.F16:
      return encodeF16(values, out, offset);
    case GgmlType.Q8_0:
      return encodeQ8_0(values, out, offset);
    case GgmlType.Q4_0:
      return encodeQ4_0(values, out, offset);
  }
}

function encodeF32(values: Float32Array, out: Buffer, offset: number): number {
  for (let i = 0; i < values.length; i++) {
    out.writeFloatLE(values[i]!, offset + i * 4);
  }
  return values.length * 4;
}

function encodeF16(values: Float32Array, out: Buffer, offset: number): number {
  for (let i = 0; i < values.length; i++) {
    out.writeUInt16LE(f32ToF16Bits(values[i]!), offset + i * 2);
  }
  return values.length * 2;
}

function encodeQ8_0(values: Float32Array, out: Buffer, offset: number): number {
  const { elements, bytes } = GGML_BLOCK[GgmlType.Q8_0];
  assertWholeBlocks(values.length, elements);
  for (let block = 0; block < values.length / elements; block++) {
    const first = block * elements;
    let amax = 0;
    for (let j = 0; j < elements; j++) {
      amax = Math.max(amax, Math.abs(values[first + j]!));
    }
    const d = amax / 127;
    const id = d !== 0 ? 1 / d : 0;
    const at = offset + block * bytes;
    out.writeUInt16LE(f32ToF16Bits(d), at);
    for (let j = 0; j < elements; j++) {
      out.writeInt8(roundHalfAwayFromZero(values[first + j]! * id), at + 2 + j);
    }
  }
  return (values.length / elements) * bytes;
}

function encodeQ4_0(values: Float32Array, out: Buffer, offset: number): number {
  const { elements, bytes } = GGML_BLOCK[GgmlType.Q4_0];
  const half = elements / 2;
  assertWholeBlocks(values.length, elements);
  for (let block = 0; block < values.length / elements; block++) {
    const first = block * elements;
    // The signed extreme maps to -8, so the opposite side keeps the full +7 range.
    let amax = 0;
    let max = 0;
    for (let j = 0; j < elements; j++) {
      const v = values[first + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = max / -8;
    const id = d !== 0 ? 1 / d : 0;
    const at = offset + block * bytes;
    out.writeUInt16LE(f32ToF16Bits(d), at);
    for (let j = 0; j < half; j++) {
      const low = Math.min(15, Math.trunc(values[first + j]! * id + 8.5));
      const high = Math.min(15, Math.trunc(values[first + half + j]! * id + 8.5));
      out[at + 2 + j] = low | (high << 4);
    }
  }
  return (values.length / elements) * bytes;
}

/**
 * Fills `out` with `blocks` random blocks of `type` whose values lie within about ±`scale`.
 * Quantized payloads come straight from the CSPRNG with one fixed block scale: writing a
 * 500 MB model then costs a randomFill and a store per 32 elements, not a Math.random per element.
 */
export function fillRandomBlocks(type: GgmlType, out: Buffer, blocks: number, scale: number): number {
  const { bytes } = GGML_BLOCK[type];
  const length = blocks * bytes;
  const target = out.subarray(0, length);
  randomFillSync(target);
  switch (type) {
    case GgmlType.F32:
      return rescaleRandom(target, 4, scale, (v, at) => target.writeFloatLE(v, at));
    case GgmlType.F16:
      return rescaleRandom(target, 2, scale, (v, at) => target.writeUInt16LE(f32ToF16Bits(v), at));
    case GgmlType.Q8_0:
      return stampBlockScale(target, bytes, f32ToF16Bits(scale / 127));
    case GgmlType.Q4_0:
      return stampBlockScale(target, bytes, f32ToF16Bits(scale / 8));
  }
}

/** Turns random bytes into uniform values in ±scale, one element of `width` bytes at a time. */
function rescaleRandom(target: Buffer, width: number, scale: number, write: (value: number, at: number) => void): number {
  for (let at = 0; at < target.length; at += width) {
    write(((target[at]! - 127.5) / 127.5) * scale, at);
  }
  return target.length;
}

function stampBlockScale(target: Buffer, blockBytes: number, scaleBits: number): number {
  for (let at = 0; at < target.length; at += blockBytes) {
    target.writeUInt16LE(scaleBits, at);
  }
  return target.length;
}

function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

function assertWholeBlocks(length: number, blockElements: number): void {
  if (length % blockElements !== 0) {
    throw new Error(`${length} values are not a whole number of ${blockElements}-element blocks`);
  }
}
