import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { FIM_SPELLINGS } from "./fimFamilies";
import { FILE_SEPARATOR } from "./nextEditModel";
import { formatBytes } from "../util/bytes";
import { checkHyperparameters, headerCheckEnabled } from "./headerCheck";
import { fileLabel, ModelProblem } from "./problems";

/**
 * What a GGUF file says about itself, read from its header without loading weights: enough to
 * choose a model in a list and to spot a broken file before llama.cpp is handed it.
 */
export interface ModelInfo {
  readonly path: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  /** `general.name`, else the file name without `.gguf`. */
  readonly name: string;
  readonly architecture?: string;
  /** `general.type`: "model", or "adapter" for a LoRA adapter file. */
  readonly fileType?: string;
  /** `adapter.type` of an adapter file ("lora"). */
  readonly adapterType?: string;
  /** `general.size_label` (e.g. "0.5B"), when the file has it. */
  readonly sizeLabel?: string;
  readonly finetune?: string;
  /** Elements in all tensors. */
  readonly parameterCount: number;
  /** "Q8_0", "Q4_K_M", "F16"…, from `general.file_type` or else the token embedding's type. */
  readonly quantization: string;
  readonly trainContextSize?: number;
  /** FIM token ids in the metadata, or FIM token texts in the vocabulary. */
  readonly fim: boolean;
  /** The vocabulary has Qwen2.5-Coder's repo-level `<|file_sep|>` token (next-edit models need it). */
  readonly fileSeparator?: boolean;
  readonly chatTemplate: boolean;
  /** Where the tensors say their data ends (unknown for tensor types this reader does not know). */
  readonly dataEndBytes?: number;
  /** The header describes more tensor data than the file holds: an unfinished download, or a lie. */
  readonly cutShort: boolean;
  /** `split.count`: the number of files a split model is made of (llama.cpp opens them all). */
  readonly splitCount?: number;
}

/**
 * Fails with a ModelProblem (missing, unreadable, empty, notGguf, truncated, badHeader) the user
 * can act on. "badHeader": a hyper-parameter llama.cpp asserts on (GGML_ASSERT aborts the whole
 * process), or an array or text in the header too large to read (node-llama-cpp's own header
 * reader runs out of memory on it); see checkHyperparameters.
 */
export async function readModelInfo(file: string): Promise<ModelInfo> {
  const label = fileLabel(file);
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: a FIFO must not hold the open (and a libuv thread) waiting for a writer.
    handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw openProblem(error, label);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new ModelProblem("directory", `${label} is a folder, not a model file.`);
    if (!stat.isFile()) throw new ModelProblem("unreadable", `${label} is not a regular file (a device, pipe or socket), so it is not read.`);
    if (stat.size === 0) throw new ModelProblem("empty", `The model file ${label} is empty (0 bytes), perhaps an unfinished download.`);
    // The size limits stay on whatever the test switch says: they protect this process's memory.
    const reader = new HeaderReader(handle, stat.size, label, true);
    const header = await readHeader(reader, label);
    if (headerCheckEnabled()) checkHyperparameters(header, label);
    return summarize(file, stat.size, header);
  } catch (error) {
    if (error instanceof ModelProblem) throw error;
    throw new ModelProblem("unreadable", `The model file ${label} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`, String(error));
  } finally {
    await handle.close();
  }
}

/** One line for a picker: "qwen2 · 494M params · Q8_0 · 531 MB · 32,768-token context · FIM · chat". */
export function describeModelInfo(info: ModelInfo): string {
  const parts = [
    info.architecture ?? "unknown architecture",
    `${info.sizeLabel ?? formatCount(info.parameterCount)} params`,
    info.quantization,
    formatBytes(info.sizeBytes),
  ];
  if (info.trainContextSize !== undefined) parts.push(`${info.trainContextSize.toLocaleString("en-US")}-token context`);
  // Short, so the whole line fits in a quick pick row; the picker's placeholder names the columns.
  parts.push(info.fim ? "FIM" : "no FIM");
  parts.push(info.chatTemplate ? "chat" : "no chat template");
  return parts.join(" · ");
}

/** 494M, 1.5B, 12K. */
export function formatCount(count: number): string {
  if (count >= 1e9) return `${trim(count / 1e9)}B`;
  if (count >= 1e6) return `${trim(count / 1e6)}M`;
  if (count >= 1e3) return `${trim(count / 1e3)}K`;
  return String(count);
}

function trim(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(2).replace(/\.?0+$/, "");
}

// ---- header -------------------------------------------------------------------------------

type Scalar = string | number | bigint | boolean;

export interface RawHeader {
  /** Scalars only; arrays are skipped except for the FIM texts found in the token list. */
  readonly metadata: ReadonlyMap<string, Scalar>;
  /** Every array's length, and the values of short integer arrays (per-layer hyper-parameters). */
  readonly arrays: ReadonlyMap<string, { readonly length: number; readonly values?: readonly number[] }>;
  readonly tensors: readonly { readonly name: string; readonly elements: number; readonly type: number; readonly offset: number }[];
  /** token_embd.weight's shape, [n_embd, n_vocab], when the file has one. */
  readonly tokenEmbeddingDims?: readonly number[];
  readonly dataOffset: number;
  readonly fimTexts: ReadonlySet<string>;
}

/** Beyond these the header is not a file's at all: refused as damaged, check or not. */
const MAX_STRING = 64 * 1024 * 1024;
const MAX_ENTRIES = 10_000_000;
/**
 * Beyond these no real model goes (the largest vocabularies have about 262,000 tokens and
 * 500,000 merges; chat templates run to tens of KB), and node-llama-cpp's header reader, which
 * turns every array into JavaScript values, ran out of V8 heap on a 64 MB file holding a
 * multi-million-entry string array. Checked before a single element is read.
 */
const MAX_ARRAY_ITEMS = 4_000_000;
const MAX_TEXT_BYTES = 1024 * 1024;
/** Integer arrays this short are kept: per-layer head counts, FFN widths, experts used. */
const MAX_KEPT_ARRAY = 1024;
const INTEGER_TYPES = new Set([0, 1, 2, 3, 4, 5, 10, 11]);
const FIM_TEXTS = new Set([...FIM_SPELLINGS.flatMap((spelling) => [...spelling.prefix, ...spelling.suffix]), FILE_SEPARATOR]);

async function readHeader(reader: HeaderReader, label: string): Promise<RawHeader> {
  const notGguf = () =>
    new ModelProblem("notGguf", `${label} is not a GGUF model file. SLM Assistant runs models in the GGUF format (as used by llama.cpp).`);
  if (reader.size < 4) throw notGguf();
  await reader.need(4);
  if (reader.bytes(4).toString("latin1") !== "GGUF") throw notGguf();
  await reader.need(20);
  const version = reader.u32();
  if (version < 2 || version > 3) {
    throw new ModelProblem("notGguf", `${label} is GGUF version ${version}; this version of llama.cpp reads versions 2 and 3.`);
  }
  const tensorCount = reader.count();
  const kvCount = reader.count();
  const metadata = new Map<string, Scalar>();
  const arrays = new Map<string, { length: number; values?: number[] }>();
  const fimTexts = new Set<string>();
  for (let i = 0; i < kvCount; i++) {
    const key = await reader.string("a metadata key");
    await reader.need(4);
    const type = reader.u32();
    if (type === ARRAY) {
      await reader.need(12);
      const itemType = reader.u32();
      const length = reader.arrayLength(key);
      const values = INTEGER_TYPES.has(itemType) && length <= MAX_KEPT_ARRAY ? ([] as number[]) : undefined;
      const collect = key === "tokenizer.ggml.tokens" ? (text: Scalar) => FIM_TEXTS.has(text as string) && fimTexts.add(text as string) : undefined;
      for (let j = 0; j < length; j++) {
        const item = await reader.value(itemType, key);
        collect?.(item);
        values?.push(Number(item));
      }
      arrays.set(key, { length, values });
    } else {
      metadata.set(key, await reader.value(type, key));
    }
  }
  const tensors: RawHeader["tensors"][number][] = [];
  let tokenEmbeddingDims: number[] | undefined;
  for (let i = 0; i < tensorCount; i++) {
    const name = await reader.string("a tensor name");
    await reader.need(4);
    const dimCount = reader.u32();
    if (dimCount > 8) throw reader.corrupt(`tensor ${name} has ${dimCount} dimensions`);
    await reader.need(dimCount * 8 + 12);
    const dims: number[] = [];
    for (let d = 0; d < dimCount; d++) dims.push(reader.count());
    if (name === "token_embd.weight") tokenEmbeddingDims = dims;
    tensors.push({ name, elements: dims.reduce((a, b) => a * b, 1), type: reader.u32(), offset: Number(reader.u64()) });
  }
  const alignment = metadata.get("general.alignment");
  const align = typeof alignment === "number" && alignment > 0 ? alignment : 32;
  return { metadata, arrays, tensors, tokenEmbeddingDims, dataOffset: Math.ceil(reader.position / align) * align, fimTexts };
}

function summarize(file: string, sizeBytes: number, header: RawHeader): ModelInfo {
  const text = (key: string) => {
    const value = header.metadata.get(key);
    return typeof value === "string" && value.trim() ? value.trim() : undefined;
  };
  const architecture = text("general.architecture");
  const context = architecture ? header.metadata.get(`${architecture}.context_length`) : undefined;
  const fileName = path.basename(file);
  let dataEndBytes: number | undefined = header.dataOffset;
  for (const tensor of header.tensors) {
    const bytes = tensorBytes(tensor.elements, tensor.type);
    dataEndBytes = bytes === undefined || dataEndBytes === undefined ? undefined : Math.max(dataEndBytes, header.dataOffset + tensor.offset + bytes);
  }
  const hasFimIds = ["fim_pre_token_id", "prefix_token_id"].some((key) => header.metadata.has(`tokenizer.ggml.${key}`));
  const spellingFound = FIM_SPELLINGS.some((spelling) => spelling.prefix.some((t) => header.fimTexts.has(t)) && spelling.suffix.some((t) => header.fimTexts.has(t)));
  return {
    path: file,
    fileName,
    sizeBytes,
    name: text("general.name") ?? fileName.replace(/\.gguf$/i, ""),
    architecture,
    fileType: text("general.type"),
    adapterType: text("adapter.type"),
    sizeLabel: text("general.size_label"),
    finetune: text("general.finetune"),
    parameterCount: header.tensors.reduce((sum, tensor) => sum + tensor.elements, 0),
    quantization: quantizationOf(header),
    trainContextSize: typeof context === "number" ? context : typeof context === "bigint" ? Number(context) : undefined,
    fim: hasFimIds || spellingFound,
    fileSeparator: header.fimTexts.has(FILE_SEPARATOR),
    chatTemplate: text("tokenizer.chat_template") !== undefined,
    dataEndBytes,
    cutShort: dataEndBytes !== undefined && dataEndBytes > sizeBytes,
    splitCount: integerOf(header.metadata.get("split.count")),
  };
}

function integerOf(value: unknown): number | undefined {
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined;
}

/** llama_ftype names (llama.h), as llama.cpp's quantize tool prints them. */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
  13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
  21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
  29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
};

/** ggml_type: name, elements per block, bytes per block (ggml.c's type_traits). */
const TENSOR_TYPES: Readonly<Record<number, readonly [string, number, number]>> = {
  0: ["F32", 1, 4], 1: ["F16", 1, 2], 2: ["Q4_0", 32, 18], 3: ["Q4_1", 32, 20], 6: ["Q5_0", 32, 22], 7: ["Q5_1", 32, 24],
  8: ["Q8_0", 32, 34], 9: ["Q8_1", 32, 36], 10: ["Q2_K", 256, 84], 11: ["Q3_K", 256, 110], 12: ["Q4_K", 256, 144],
  13: ["Q5_K", 256, 176], 14: ["Q6_K", 256, 210], 15: ["Q8_K", 256, 292], 16: ["IQ2_XXS", 256, 66], 17: ["IQ2_XS", 256, 74],
  18: ["IQ3_XXS", 256, 98], 19: ["IQ1_S", 256, 50], 20: ["IQ4_NL", 32, 18], 21: ["IQ3_S", 256, 110], 22: ["IQ2_S", 256, 82],
  23: ["IQ4_XS", 256, 136], 24: ["I8", 1, 1], 25: ["I16", 1, 2], 26: ["I32", 1, 4], 27: ["I64", 1, 8], 28: ["F64", 1, 8],
  29: ["IQ1_M", 256, 56], 30: ["BF16", 1, 2], 34: ["TQ1_0", 256, 54], 35: ["TQ2_0", 256, 66], 39: ["MXFP4", 32, 17],
};

function tensorBytes(elements: number, type: number): number | undefined {
  const traits = TENSOR_TYPES[type];
  return traits ? Math.ceil(elements / traits[1]) * traits[2] : undefined;
}

function quantizationOf(header: RawHeader): string {
  const fileType = header.metadata.get("general.file_type");
  if (typeof fileType === "number" && FILE_TYPES[fileType]) return FILE_TYPES[fileType];
  const embedding = header.tensors.find((tensor) => tensor.name === "token_embd.weight") ?? header.tensors[0];
  return (embedding && TENSOR_TYPES[embedding.type]?.[0]) ?? "unknown";
}

function openProblem(error: unknown, label: string): ModelProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return new ModelProblem("missing", `The model file ${label} does not exist.`);
  if (code === "EISDIR") return new ModelProblem("directory", `${label} is a folder, not a model file.`);
  return new ModelProblem("unreadable", `The model file ${label} cannot be read (${code ?? "error"}). Check its permissions.`, String(error));
}

const ARRAY = 9;
const STRING = 8;
/** Byte sizes of GGUF scalar value types (gguf_type). */
const SCALAR_SIZES: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const CHUNK = 1024 * 1024;

/** Reads the header sequentially in 1 MB chunks; a 150,000-token vocabulary costs a few reads. */
class HeaderReader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private offset = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
    private readonly label: string,
    /** Refuse arrays over MAX_ARRAY_ITEMS and texts over MAX_TEXT_BYTES (off only for crash tests). */
    private readonly sizeLimits: boolean,
  ) {}

  get position(): number {
    return this.start + this.offset;
  }

  corrupt(what: string): ModelProblem {
    return new ModelProblem("truncated", `The model file ${this.label} is damaged: its header is invalid (${what}). Download it again.`);
  }

  /** Makes `n` bytes available at the cursor. */
  async need(n: number): Promise<void> {
    if (this.buffer.length - this.offset >= n) return;
    if (this.position + n > this.size) {
      throw new ModelProblem("truncated", `The model file ${this.label} is cut short: it ends inside its header (${formatBytes(this.size)}). Download it again.`);
    }
    const rest = this.buffer.subarray(this.offset);
    const next = Buffer.alloc(Math.max(n, CHUNK));
    rest.copy(next);
    const { bytesRead } = await this.handle.read(next, rest.length, next.length - rest.length, this.position + rest.length);
    this.start = this.position;
    this.offset = 0;
    this.buffer = next.subarray(0, rest.length + bytesRead);
    if (this.buffer.length < n) throw new ModelProblem("truncated", `The model file ${this.label} is cut short: it ends inside its header.`);
  }

  bytes(n: number): Buffer {
    const value = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return value;
  }

  u32(): number {
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(): bigint {
    const value = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A u64 count, refused when larger than any real file could hold. */
  count(): number {
    const value = this.u64();
    if (value > BigInt(MAX_ENTRIES) && value > BigInt(this.size)) throw this.corrupt(`a count of ${value}`);
    return Number(value);
  }

  /** A u64 array length, refused before any element is read when no real model has one as long. */
  arrayLength(key: string): number {
    const length = this.count();
    if (this.sizeLimits && length > MAX_ARRAY_ITEMS) {
      throw new ModelProblem(
        "badHeader",
        `The model file ${this.label} says it has a list of ${length.toLocaleString("en-US")} entries in its header (${key}); reading it would run out of memory, so it is not loaded. The file is damaged or not a real model.`,
      );
    }
    return length;
  }

  /** `where`: what the text is, for the message when it is too long ("a metadata key", a key). */
  async string(where: string): Promise<string> {
    await this.need(8);
    const length = this.u64();
    if (length > BigInt(MAX_STRING)) throw this.corrupt(`a string of ${length} bytes`);
    if (this.sizeLimits && length > BigInt(MAX_TEXT_BYTES)) {
      throw new ModelProblem(
        "badHeader",
        `The model file ${this.label} says it has a text of ${formatBytes(Number(length))} in its header (${where}); no real model has one that long, so it is not loaded. The file is damaged or not a real model.`,
      );
    }
    await this.need(Number(length));
    return this.bytes(Number(length)).toString("utf8");
  }

  /** `key`: the metadata key the value belongs to, for messages. */
  async value(type: number, key: string): Promise<Scalar> {
    if (type === STRING) return this.string(key);
    if (type === ARRAY) {
      // Nested arrays are legal GGUF though no key this reader wants holds one: skip them.
      await this.need(12);
      const itemType = this.u32();
      const length = this.arrayLength(key);
      for (let i = 0; i < length; i++) await this.value(itemType, key);
      return length;
    }
    const size = SCALAR_SIZES[type];
    if (size === undefined) throw this.corrupt(`unknown value type ${type}`);
    await this.need(size);
    const at = this.offset;
    this.offset += size;
    const b = this.buffer;
    switch (type) {
      case 0: return b.readUInt8(at);
      case 1: return b.readInt8(at);
      case 2: return b.readUInt16LE(at);
      case 3: return b.readInt16LE(at);
      case 4: return b.readUInt32LE(at);
      case 5: return b.readInt32LE(at);
      case 6: return b.readFloatLE(at);
      case 7: return b.readUInt8(at) !== 0;
      case 10: return b.readBigUInt64LE(at);
      case 11: return b.readBigInt64LE(at);
      default: return b.readDoubleLE(at);
    }
  }
}

export { headerCheckEnabled, UNSAFE_SKIP_HEADER_CHECK_ENV } from "./headerCheck";
