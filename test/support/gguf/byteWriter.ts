// A growable little-endian buffer for the GGUF header (metadata and tensor infos).
// The header of a real vocabulary runs to several MB of short strings, so it grows by doubling.
import { GgufValue, GgufValueType, ScalarValueType } from "./types";

export class ByteWriter {
  private buffer = Buffer.alloc(64 * 1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  u8(value: number): void {
    this.reserve(1).writeUInt8(value, this.length - 1);
  }

  u32(value: number): void {
    this.reserve(4).writeUInt32LE(value, this.length - 4);
  }

  u64(value: number | bigint): void {
    this.reserve(8).writeBigUInt64LE(BigInt(value), this.length - 8);
  }

  string(value: string): void {
    const byteLength = Buffer.byteLength(value, "utf8");
    this.u64(byteLength);
    this.reserve(byteLength).write(value, this.length - byteLength, "utf8");
  }

  zeros(count: number): void {
    this.reserve(count).fill(0, this.length - count, this.length);
  }

  value(value: GgufValue): void {
    if (value.type === GgufValueType.ARRAY) {
      this.u32(value.itemType);
      this.u64(value.value.length);
      for (const item of value.value) {
        this.scalar(value.itemType, item);
      }
      return;
    }
    this.scalar(value.type, value.value);
  }

  /** Writes one scalar; the caller's type tag decides the width, so a wrong JS type is a bug. */
  scalar(type: ScalarValueType, item: string | number | bigint | boolean): void {
    switch (type) {
      case GgufValueType.STRING:
        return this.string(String(item));
      case GgufValueType.BOOL:
        return this.u8(item ? 1 : 0);
      case GgufValueType.UINT8:
        return this.u8(Number(item));
      case GgufValueType.INT8:
        this.reserve(1).writeInt8(Number(item), this.length - 1);
        return;
      case GgufValueType.UINT16:
        this.reserve(2).writeUInt16LE(Number(item), this.length - 2);
        return;
      case GgufValueType.INT16:
        this.reserve(2).writeInt16LE(Number(item), this.length - 2);
        return;
      case GgufValueType.UINT32:
        return this.u32(Number(item));
      case GgufValueType.INT32:
        this.reserve(4).writeInt32LE(Number(item), this.length - 4);
        return;
      case GgufValueType.FLOAT32:
        this.reserve(4).writeFloatLE(Number(item), this.length - 4);
        return;
      case GgufValueType.UINT64:
        return this.u64(BigInt(item));
      case GgufValueType.INT64:
        this.reserve(8).writeBigInt64LE(BigInt(item), this.length - 8);
        return;
      case GgufValueType.FLOAT64:
        this.reserve(8).writeDoubleLE(Number(item), this.length - 8);
        return;
    }
  }

  /** Makes room for `count` more bytes, advances the length, and returns the buffer to write into. */
  private reserve(count: number): Buffer {
    const needed = this.length + count;
    if (needed > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length = needed;
    return this.buffer;
  }
}
