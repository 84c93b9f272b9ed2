// Reads a GGUF header in full: every metadata value (whole arrays, which node-llama-cpp's
// readGgufFileInfo may cut short) and every tensor info. Tensor data is not read.
import { closeSync, openSync, readSync } from "node:fs";
import { f16BitsToF32 } from "./f16";
import {
  alignUp, GGML_BLOCK, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgmlType, GgufValue, GgufValueType, ScalarValueType,
} from "./types";

export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: number;
  /** Relative to the start of the data section. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  /** Offset of the data section in the file. */
  readonly dataOffset: number;
}

export function readGgufHeader(path: string): GgufHeader {
  const fd = openSync(path, "r");
  try {
    return parseHeader(new Cursor((buffer, position) => readSync(fd, buffer, 0, buffer.length, position)), path);
  } finally {
    closeSync(fd);
  }
}

/** Parses a GGUF header held in memory (such as a vocabulary file read out of git). */
export function parseGgufHeader(file: Buffer): GgufHeader {
  return parseHeader(new Cursor((buffer, position) => file.copy(buffer, 0, position)), "buffer");
}

function parseHeader(cursor: Cursor, source: string): GgufHeader {
  const magic = cursor.bytes(4).toString("latin1");
  if (magic !== GGUF_MAGIC) {
    throw new Error(`${source} is not a GGUF file (magic ${JSON.stringify(magic)})`);
  }
  const version = cursor.u32();
  const tensorCount = cursor.u64();
  const kvCount = cursor.u64();
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = cursor.string();
    metadata.set(key, readValue(cursor, cursor.u32()));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = cursor.string();
    const dims = Array.from({ length: cursor.u32() }, () => cursor.u64());
    tensors.push({ name, dims, type: cursor.u32(), offset: cursor.u64() });
  }
  const alignment = metadata.get("general.alignment");
  const dataOffset = alignUp(cursor.position, alignment?.type === GgufValueType.UINT32 ? alignment.value : GGUF_DEFAULT_ALIGNMENT);
  return { version, metadata, tensors, dataOffset };
}

/** Reads one tensor's raw bytes (for tests that check an encoding). */
export function readTensorBytes(path: string, header: GgufHeader, name: string): Buffer {
  const info = header.tensors.find((tensor) => tensor.name === name);
  if (info === undefined) {
    throw new Error(`no tensor ${name}`);
  }
  const block = GGML_BLOCK[info.type as GgmlType];
  const elements = info.dims.reduce((a, b) => a * b, 1);
  const bytes = Buffer.alloc((elements / block.elements) * block.bytes);
  const fd = openSync(path, "r");
  try {
    readSync(fd, bytes, 0, bytes.length, header.dataOffset + info.offset);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Decodes F32, F16 or Q8_0 bytes back to values. */
export function decodeTensor(bytes: Buffer, type: GgmlType): Float32Array {
  switch (type) {
    case GgmlType.F32:
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    case GgmlType.F16:
      return Float32Array.from({ length: bytes.length / 2 }, (_, i) => f16BitsToF32(bytes.readUInt16LE(i * 2)));
    case GgmlType.Q8_0:
      return decodeBlocks(bytes, 34, (block, d, out) => {
        for (let j = 0; j < 32; j++) {
          out.push(d * block.readInt8(2 + j));
        }
      });
    case GgmlType.Q4_0:
      return decodeBlocks(bytes, 18, (block, d, out) => {
        const low: number[] = [];
        const high: number[] = [];
        for (let j = 0; j < 16; j++) {
          low.push(d * ((block[2 + j]! & 0x0f) - 8));
          high.push(d * ((block[2 + j]! >> 4) - 8));
        }
        out.push(...low, ...high);
      });
  }
}

function decodeBlocks(bytes: Buffer, blockBytes: number, decode: (block: Buffer, d: number, out: number[]) => void): Float32Array {
  const out: number[] = [];
  for (let at = 0; at < bytes.length; at += blockBytes) {
    const block = bytes.subarray(at, at + blockBytes);
    decode(block, f16BitsToF32(block.readUInt16LE(0)), out);
  }
  return Float32Array.from(out);
}

function readValue(cursor: Cursor, type: GgufValueType): GgufValue {
  if (type === GgufValueType.ARRAY) {
    const itemType = cursor.u32() as ScalarValueType;
    const length = cursor.u64();
    const items = new Array<string | number | bigint | boolean>(length);
    for (let i = 0; i < length; i++) {
      items[i] = readScalar(cursor, itemType);
    }
    return { type, itemType, value: items };
  }
  return { type, value: readScalar(cursor, type) } as GgufValue;
}

function readScalar(cursor: Cursor, type: ScalarValueType): string | number | bigint | boolean {
  switch (type) {
    case GgufValueType.UINT8: return cursor.bytes(1).readUInt8(0);
    case GgufValueType.INT8: return cursor.bytes(1).readInt8(0);
    case GgufValueType.UINT16: return cursor.bytes(2).readUInt16LE(0);
    case GgufValueType.INT16: return cursor.bytes(2).readInt16LE(0);
    case GgufValueType.UINT32: return cursor.u32();
    case GgufValueType.INT32: return cursor.bytes(4).readInt32LE(0);
    case GgufValueType.FLOAT32: return cursor.bytes(4).readFloatLE(0);
    case GgufValueType.BOOL: return cursor.bytes(1)[0] !== 0;
    case GgufValueType.STRING: return cursor.string();
    case GgufValueType.UINT64: return cursor.bytes(8).readBigUInt64LE(0);
    case GgufValueType.INT64: return cursor.bytes(8).readBigInt64LE(0);
    case GgufValueType.FLOAT64: return cursor.bytes(8).readDoubleLE(0);
    default: throw new Error(`unknown GGUF value type ${String(type)}`);
  }
}

/** Fills `buffer` from `position`; returns how many bytes it got. */
type ReadAt = (buffer: Buffer, position: number) => number;

/** Sequential reads through a window buffer, so a multi-MB vocabulary costs a few reads. */
class Cursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  constructor(private readonly readAt: ReadAt) {}

  u32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  /** Counts and offsets are u64 in the file; anything past 2^53 here would be a corrupt file. */
  u64(): number {
    const value = this.bytes(8).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`u64 ${value} at ${this.position - 8} is too large`);
    }
    return Number(value);
  }

  string(): string {
    return this.bytes(this.u64()).toString("utf8");
  }

  bytes(count: number): Buffer {
    const start = this.position - this.windowStart;
    if (start + count > this.window.length) {
      this.refill(count);
      return this.bytes(count);
    }
    this.position += count;
    return this.window.subarray(start, start + count);
  }

  private refill(minimum: number): void {
    const size = Math.max(minimum, 1024 * 1024);
    const buffer = Buffer.alloc(size);
    const read = this.readAt(buffer, this.position);
    if (read < minimum) {
      throw new Error(`unexpected end of GGUF header at byte ${this.position}`);
    }
    this.window = buffer.subarray(0, read);
    this.windowStart = this.position;
  }
}
