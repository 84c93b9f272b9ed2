import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeValues, fillRandomBlocks } from "../support/gguf/encode";
import { f16BitsToF32, f32ToF16Bits } from "../support/gguf/f16";
import { decodeTensor, readGgufHeader, readTensorBytes } from "../support/gguf/reader";
import { separatedCodes } from "../support/gguf/scripted";
import { GgmlType, GgufModelSpec, GgufValue, GgufValueType } from "../support/gguf/types";
import { bool, f32, f32Array, i32, i32Array, str, strArray, u32, u32Array, u64 } from "../support/gguf/values";
import { qwen25Vocabulary, tinyVocabulary, TokenType } from "../support/gguf/vocab";
import { writeGguf } from "../support/gguf/writer";

/** Every scalar type once, and arrays of strings, ints and floats. */
const ALL_VALUE_TYPES: [string, GgufValue][] = [
  ["general.architecture", str("llama")],
  ["test.string.utf8", str("modèle ünï 🌍 שלום")],
  ["test.u8", { type: GgufValueType.UINT8, value: 200 }],
  ["test.i8", { type: GgufValueType.INT8, value: -100 }],
  ["test.u16", { type: GgufValueType.UINT16, value: 60000 }],
  ["test.i16", { type: GgufValueType.INT16, value: -30000 }],
  ["test.u32", u32(4_000_000_000)],
  ["test.i32", i32(-2_000_000_000)],
  ["test.f32", f32(0.5)],
  ["test.f64", { type: GgufValueType.FLOAT64, value: Math.PI }],
  ["test.bool", bool(true)],
  ["test.u64", u64(2n ** 40n + 3n)],
  ["test.i64", { type: GgufValueType.INT64, value: -(2n ** 40n) }],
  ["test.strings", strArray(["a", "", "<|fim_prefix|>", "Ġhello"])],
  ["test.i32s", i32Array([1, -2, 3])],
  ["test.u32s", u32Array([7, 8])],
  ["test.f32s", f32Array([0.25, -1.5])],
];

function ramp(count: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => ((i % 37) - 18) * scale);
}

const TENSORS: GgufModelSpec["tensors"] = [
  { name: "a.f32", dims: [3, 2], type: GgmlType.F32, data: { kind: "values", values: Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]) } },
  { name: "b.f16", dims: [5], type: GgmlType.F16, data: { kind: "values", values: Float32Array.from([1, -2, 0.1, 65504, 0]) } },
  { name: "c.q8_0", dims: [64, 3], type: GgmlType.Q8_0, data: { kind: "values", values: ramp(192, 0.01) } },
  { name: "d.q4_0", dims: [32, 2], type: GgmlType.Q4_0, data: { kind: "values", values: ramp(64, 0.1) } },
  { name: "e.random", dims: [32, 4], type: GgmlType.Q8_0, data: { kind: "random", scale: 0.5 } },
  { name: "f.ones", dims: [7], type: GgmlType.F32, data: { kind: "constant", value: 1 } },
];

describe("GGUF writer", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gguf-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips metadata of every type, tensor infos and aligned offsets through our reader", async () => {
    const path = join(dir, "roundtrip.gguf");
    const layout = await writeGguf(path, { metadata: new Map(ALL_VALUE_TYPES), tensors: TENSORS });
    const header = readGgufHeader(path);

    assert.equal(header.version, 3);
    assert.deepEqual([...header.metadata.entries()], ALL_VALUE_TYPES.map(([key, value]) => [key, normalizeF32(value)]));
    assert.deepEqual(header.tensors.map((t) => [t.name, t.dims, t.type]), TENSORS.map((t) => [t.name, t.dims, t.type]));
    assert.equal(header.dataOffset, layout.dataOffset);
    assert.equal(header.dataOffset % 32, 0);
    for (const tensor of header.tensors) {
      assert.equal(tensor.offset % 32, 0, `${tensor.name} is aligned`);
    }
    assert.equal(statSync(path).size, layout.fileSize);
    assert.deepEqual(decodeTensor(readTensorBytes(path, header, "a.f32"), GgmlType.F32), Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]));
    assert.deepEqual([...decodeTensor(readTensorBytes(path, header, "b.f16"), GgmlType.F16)], [1, -2, f16BitsToF32(0x2e66), 65504, 0]);
    assert.deepEqual([...decodeTensor(readTensorBytes(path, header, "f.ones"), GgmlType.F32)], [1, 1, 1, 1, 1, 1, 1]);
  });

  it("writes files node-llama-cpp's own reader parses the same way", async function () {
    // Importing node-llama-cpp takes seconds on a busy 2-core machine (mocha's default is 2 s).
    this.timeout(30_000);
    const path = join(dir, "nlc.gguf");
    await writeGguf(path, { metadata: new Map(ALL_VALUE_TYPES), tensors: TENSORS });
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const test = (info.metadata as unknown as { test: Record<string, unknown> }).test;

    assert.equal(info.version, 3);
    assert.equal(info.metadata.general.architecture, "llama");
    assert.equal((test.string as Record<string, unknown>).utf8, "modèle ünï 🌍 שלום");
    assert.equal(test.u32, 4_000_000_000);
    assert.equal(test.i64, -(2n ** 40n));
    assert.deepEqual(test.strings, ["a", "", "<|fim_prefix|>", "Ġhello"]);
    assert.deepEqual(test.f32s, [0.25, -1.5]);
    assert.deepEqual(info.tensorInfo?.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType]), TENSORS.map((t) => [t.name, t.dims, t.type]));
  });

  it("honours a general.alignment other than 32", async () => {
    const path = join(dir, "aligned64.gguf");
    await writeGguf(path, { metadata: new Map([["general.alignment", u32(64)]]), tensors: TENSORS });
    const header = readGgufHeader(path);
    assert.equal(header.dataOffset % 64, 0);
    assert.ok(header.tensors.every((t) => t.offset % 64 === 0));
  });

  it("writes sparse files that claim their full size but take almost no disk", async () => {
    const path = join(dir, "sparse.gguf");
    const big: GgufModelSpec["tensors"] = [{ name: "big", dims: [1024, 1024, 256], type: GgmlType.F32, data: { kind: "constant", value: 0 } }];
    const layout = await writeGguf(path, { metadata: new Map(), tensors: big }, { tensorData: "sparse" });
    const stat = statSync(path);
    assert.equal(stat.size, layout.fileSize);
    assert.ok(stat.size > 1e9);
    assert.ok(stat.blocks * 512 < 1e6, `allocated ${stat.blocks * 512} bytes`);
  });
});

describe("GGUF encodings", () => {
  it("converts float32 to f16 with round-to-nearest-even", () => {
    assert.equal(f32ToF16Bits(1), 0x3c00);
    assert.equal(f32ToF16Bits(-2), 0xc000);
    assert.equal(f32ToF16Bits(0.1), 0x2e66);
    assert.equal(f32ToF16Bits(65504), 0x7bff);
    assert.equal(f32ToF16Bits(1e6), 0x7c00);
    assert.equal(f32ToF16Bits(2 ** -24), 0x0001);
    assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00, "halfway rounds to even");
    assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02, "halfway rounds to even");
    assert.equal(f16BitsToF32(0x3555), 0.333251953125);
  });

  it("quantizes Q8_0 like ggml's reference: scale = max|x|/127, rounded int8s", () => {
    const values = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const out = Buffer.alloc(34);
    assert.equal(encodeValues(values, GgmlType.Q8_0, out, 0), 34);
    assert.equal(out.readUInt16LE(0), f32ToF16Bits(16 / 127));
    assert.equal(out.readInt8(2), -127);
    assert.equal(out.readInt8(2 + 16), 0);
    assert.equal(out.readInt8(2 + 17), 8); // 1 * 127/16 = 7.94
    assert.equal(out.readInt8(2 + 31), 119); // 15 * 127/16 = 119.06
    const decoded = decodeTensor(out, GgmlType.Q8_0);
    decoded.forEach((v, j) => assert.ok(Math.abs(v - values[j]!) <= 16 / 127 / 2 + 1e-3, `element ${j}`));
  });

  it("quantizes Q4_0 like ggml's reference: the signed extreme maps to -8", () => {
    const values = Float32Array.from({ length: 32 }, (_, j) => (j < 16 ? j - 8 : 0));
    const out = Buffer.alloc(18);
    encodeValues(values, GgmlType.Q4_0, out, 0);
    assert.equal(f16BitsToF32(out.readUInt16LE(0)), 1, "d = -8 / -8");
    assert.equal(out[2]! & 0x0f, 0, "-8 is nibble 0");
    assert.equal(out[2]! >> 4, 8, "second half's 0 is nibble 8");
    assert.deepEqual([...decodeTensor(out, GgmlType.Q4_0)], [...values]);
  });

  it("fills random Q8_0 blocks with a fixed scale and random payload", () => {
    const out = Buffer.alloc(34 * 100);
    fillRandomBlocks(GgmlType.Q8_0, out, 100, 0.5);
    const scales = new Set(Array.from({ length: 100 }, (_, b) => out.readUInt16LE(b * 34)));
    assert.deepEqual([...scales], [f32ToF16Bits(0.5 / 127)]);
    const payload = new Set(out.subarray(2, 34));
    assert.ok(payload.size > 10, "payload bytes vary");
  });
});

describe("scripted model codes", () => {
  it("keeps Hadamard codes exactly orthogonal (or opposite) up to 2x width", () => {
    const width = 128;
    const codes = separatedCodes(256, width);
    assert.ok(maxOffDiagonalDot(codes, 256, width) === 0);
  });

  it("keeps random codes at least width/2 apart beyond that", () => {
    const codes = separatedCodes(600, 128);
    assert.ok(codes.every((v) => v === 1 || v === -1));
    assert.ok(maxOffDiagonalDot(codes, 600, 128) <= 64);
  });
});

describe("vocabularies from the llama.cpp bundle", function () {
  this.timeout(60_000);

  it("tiny: all 256 byte tokens, their merges, and the coder special tokens at the end", () => {
    const vocab = tinyVocabulary();
    assert.equal(vocab.tokens.length, 4009);
    assert.equal(new Set(vocab.tokens).size, vocab.tokens.length, "no duplicate token texts");
    assert.ok(vocab.merges.length > 3000);
    assert.deepEqual(vocab.special, {
      endOfText: 4000, imStart: 4001, imEnd: 4002, fimPrefix: 4003, fimMiddle: 4004,
      fimSuffix: 4005, fimPad: 4006, repoName: 4007, fileSep: 4008,
    });
    assert.equal(vocab.types[4003], TokenType.CONTROL);
  });

  it("Qwen2.5: 151,936 tokens, every merge, specials at Qwen's ids", () => {
    const vocab = qwen25Vocabulary();
    assert.equal(vocab.tokens.length, 151_936);
    assert.equal(vocab.types.length, 151_936);
    assert.equal(vocab.merges.length, 151_387);
    assert.equal(vocab.special.endOfText, 151_643);
    assert.equal(vocab.special.imEnd, 151_645);
    assert.equal(vocab.special.fimPrefix, 151_659);
    assert.equal(vocab.special.fileSep, 151_664);
    assert.equal(vocab.tokens[151_657], "<tool_call>");
  });
});

function maxOffDiagonalDot(codes: Float32Array, count: number, width: number): number {
  let max = -Infinity;
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      let dot = 0;
      for (let j = 0; j < width; j++) {
        dot += codes[a * width + j]! * codes[b * width + j]!;
      }
      max = Math.max(max, dot);
    }
  }
  return max;
}

/** Our reader returns f32 values as stored, so compare against the float32-rounded originals. */
function normalizeF32(value: GgufValue): GgufValue {
  if (value.type === GgufValueType.FLOAT32) {
    return { ...value, value: Math.fround(value.value) };
  }
  if (value.type === GgufValueType.ARRAY && value.itemType === GgufValueType.FLOAT32) {
    return { ...value, value: value.value.map((v) => Math.fround(Number(v))) };
  }
  return value;
}
