// Streams a GGUF v3 file: header, metadata, tensor infos, then each tensor's data at an aligned offset.
// Tensor data is produced chunk by chunk, so a 500 MB model never sits in memory.
import { open, type FileHandle } from "node:fs/promises";
import { ByteWriter } from "./byteWriter";
import { encodeValues, fillRandomBlocks } from "./encode";
import {
  alignUp, elementCount, GGML_BLOCK, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION,
  GgufModelSpec, GgufValueType, tensorByteSize, TensorSpec,
} from "./types";

export interface GgufLayout {
  /** Offset of the first tensor's data in the file. */
  readonly dataOffset: number;
  /** Data offsets of each tensor, relative to `dataOffset`, in spec order. */
  readonly tensorOffsets: readonly number[];
  readonly fileSize: number;
}

export interface WriteGgufOptions {
  /**
   * "sparse" writes the header and extends the file to its full size without writing tensor
   * data, so a file that claims hundreds of GB takes no disk (holes read as zeros).
   */
  readonly tensorData?: "write" | "sparse";
}

/** About 4 MB of tensor data per write. */
const CHUNK_BYTES = 4 * 1024 * 1024;

export async function writeGguf(path: string, spec: GgufModelSpec, options: WriteGgufOptions = {}): Promise<GgufLayout> {
  const alignment = readAlignment(spec);
  const header = serializeHeader(spec, alignment);
  assertValueCounts(spec.tensors);
  const layout = planLayout(spec.tensors, header.offsets, header.bytes.length);
  const file = await open(path, "w");
  try {
    await file.write(header.bytes, 0, header.bytes.length, 0);
    if (options.tensorData === "sparse") {
      await file.truncate(layout.fileSize);
    } else {
      await writeTensorData(file, spec.tensors, layout);
    }
  } finally {
    await file.close();
  }
  return layout;
}

/** Serializes everything up to the tensor data, padded to the alignment. */
function serializeHeader(spec: GgufModelSpec, alignment = readAlignment(spec)): { bytes: Buffer; offsets: number[] } {
  const out = new ByteWriter();
  out.u32(Buffer.from(GGUF_MAGIC, "ascii").readUInt32LE(0));
  out.u32(GGUF_VERSION);
  out.u64(spec.tensors.length);
  out.u64(spec.metadata.size);
  for (const [key, value] of spec.metadata) {
    out.string(key);
    out.u32(value.type);
    out.value(value);
  }
  const offsets = relativeDataOffsets(spec.tensors, alignment);
  spec.tensors.forEach((tensor, index) => {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) {
      out.u64(dim);
    }
    out.u32(tensor.type);
    out.u64(offsets[index]!);
  });
  out.zeros(alignUp(out.size, alignment) - out.size);
  return { bytes: out.toBuffer(), offsets };
}

function readAlignment(spec: GgufModelSpec): number {
  const value = spec.metadata.get("general.alignment");
  if (value === undefined) {
    return GGUF_DEFAULT_ALIGNMENT;
  }
  if (value.type !== GgufValueType.UINT32) {
    throw new Error("general.alignment must be a u32");
  }
  return value.value;
}

function assertValueCounts(tensors: readonly TensorSpec[]): void {
  for (const tensor of tensors) {
    if (tensor.data.kind === "values" && tensor.data.values.length !== elementCount(tensor.dims)) {
      throw new Error(`tensor ${tensor.name} has ${tensor.data.values.length} values for ${elementCount(tensor.dims)} elements`);
    }
  }
}

function relativeDataOffsets(tensors: readonly TensorSpec[], alignment: number): number[] {
  const offsets: number[] = [];
  let next = 0;
  for (const tensor of tensors) {
    offsets.push(next);
    next = alignUp(next + tensorByteSize(tensor.dims, tensor.type), alignment);
  }
  return offsets;
}

function planLayout(tensors: readonly TensorSpec[], offsets: readonly number[], dataOffset: number): GgufLayout {
  const last = tensors.length - 1;
  const dataSize = last < 0 ? 0 : offsets[last]! + tensorByteSize(tensors[last]!.dims, tensors[last]!.type);
  return { dataOffset, tensorOffsets: offsets, fileSize: dataOffset + dataSize };
}

async function writeTensorData(file: FileHandle, tensors: readonly TensorSpec[], layout: GgufLayout): Promise<void> {
  const chunk = Buffer.alloc(CHUNK_BYTES);
  for (let index = 0; index < tensors.length; index++) {
    const tensor = tensors[index]!;
    let position = layout.dataOffset + layout.tensorOffsets[index]!;
    for (const bytes of tensorChunks(tensor, chunk)) {
      await file.write(bytes, 0, bytes.length, position);
      position += bytes.length;
    }
  }
}

/** Yields the tensor's encoded bytes in chunks of whole blocks, reusing `scratch`. */
function* tensorChunks(tensor: TensorSpec, scratch: Buffer): Generator<Buffer> {
  const block = GGML_BLOCK[tensor.type];
  const totalBlocks = elementCount(tensor.dims) / block.elements;
  const blocksPerChunk = Math.max(1, Math.floor(scratch.length / block.bytes));
  const data = tensor.data;
  if (data.kind === "constant") {
    // Encode one chunk of the constant and write it repeatedly.
    const blocks = Math.min(blocksPerChunk, totalBlocks);
    const encoded = Buffer.alloc(blocks * block.bytes);
    encodeValues(new Float32Array(blocks * block.elements).fill(data.value), tensor.type, encoded, 0);
    for (let done = 0; done < totalBlocks; done += blocks) {
      yield encoded.subarray(0, Math.min(blocks, totalBlocks - done) * block.bytes);
    }
    return;
  }
  if (data.kind === "rows") {
    yield* rowChunks(tensor, scratch, data.fill);
    return;
  }
  for (let done = 0; done < totalBlocks; done += blocksPerChunk) {
    const blocks = Math.min(blocksPerChunk, totalBlocks - done);
    if (data.kind === "random") {
      yield scratch.subarray(0, fillRandomBlocks(tensor.type, scratch, blocks, data.scale));
    } else if (data.kind === "values") {
      const values = data.values.subarray(done * block.elements, (done + blocks) * block.elements);
      yield scratch.subarray(0, encodeValues(values, tensor.type, scratch, 0));
    }
  }
}

/** Encodes a tensor given row by row, as many whole rows per chunk as fit `scratch`. */
function* rowChunks(tensor: TensorSpec, scratch: Buffer, fill: (row: number, out: Float32Array) => void): Generator<Buffer> {
  const block = GGML_BLOCK[tensor.type];
  const width = tensor.dims[0]!;
  const rows = elementCount(tensor.dims) / width;
  const rowBytes = (width / block.elements) * block.bytes;
  const rowsPerChunk = Math.max(1, Math.floor(scratch.length / rowBytes));
  const values = new Float32Array(rowsPerChunk * width);
  for (let done = 0; done < rows; done += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - done);
    values.fill(0);
    for (let i = 0; i < count; i++) fill(done + i, values.subarray(i * width, (i + 1) * width));
    yield scratch.subarray(0, encodeValues(values.subarray(0, count * width), tensor.type, scratch, 0));
  }
}
