// Tokenizer vocabularies: the real Qwen2 byte-level BPE vocabulary from the llama.cpp bundle,
// and a cut-down copy of it that is tiny yet still tokenizes any text.
import { readLlamaSourceFile } from "./llamaSource";
import { parseGgufHeader } from "./reader";
import { GgufValue, GgufValueType } from "./types";
import { bool, i32Array, str, strArray, u32 } from "./values";

/** llama.cpp token types (llama_token_type). */
export enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly types: readonly TokenType[];
  readonly merges: readonly string[];
  readonly special: SpecialTokenIds;
}

export interface SpecialTokenIds {
  readonly endOfText: number;
  readonly imStart: number;
  readonly imEnd: number;
  readonly fimPrefix: number;
  readonly fimMiddle: number;
  readonly fimSuffix: number;
  readonly fimPad: number;
  readonly repoName: number;
  readonly fileSep: number;
}

/**
 * The tokens Qwen2.5(-Coder) adds after its 151,643 BPE tokens, at ids 151643..151664, with
 * their types as its GGUF conversion gives them (the tool-call tags are plain user-defined text).
 * The bundle's vocabulary file predates them and has [PAD…] placeholders there instead.
 */
const QWEN25_ADDED_TOKENS: readonly (readonly [string, TokenType])[] = [
  ["<|endoftext|>", TokenType.CONTROL],
  ["<|im_start|>", TokenType.CONTROL],
  ["<|im_end|>", TokenType.CONTROL],
  ["<|object_ref_start|>", TokenType.CONTROL],
  ["<|object_ref_end|>", TokenType.CONTROL],
  ["<|box_start|>", TokenType.CONTROL],
  ["<|box_end|>", TokenType.CONTROL],
  ["<|quad_start|>", TokenType.CONTROL],
  ["<|quad_end|>", TokenType.CONTROL],
  ["<|vision_start|>", TokenType.CONTROL],
  ["<|vision_end|>", TokenType.CONTROL],
  ["<|vision_pad|>", TokenType.CONTROL],
  ["<|image_pad|>", TokenType.CONTROL],
  ["<|video_pad|>", TokenType.CONTROL],
  ["<tool_call>", TokenType.USER_DEFINED],
  ["</tool_call>", TokenType.USER_DEFINED],
  ["<|fim_prefix|>", TokenType.CONTROL],
  ["<|fim_middle|>", TokenType.CONTROL],
  ["<|fim_suffix|>", TokenType.CONTROL],
  ["<|fim_pad|>", TokenType.CONTROL],
  ["<|repo_name|>", TokenType.CONTROL],
  ["<|file_sep|>", TokenType.CONTROL],
];

/** The special tokens every generated coder model carries, in the order the tiny vocabulary appends them. */
const CODER_SPECIAL_TOKENS = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>",
  "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
] as const;

const QWEN2_VOCAB_PATH = "models/ggml-vocab-qwen2.gguf";
const QWEN2_FIRST_ADDED_ID = 151643;

let qwen2: Vocabulary | undefined;

/** The full Qwen2.5 vocabulary: 151,936 tokens, 151,387 merges, special and FIM tokens in place. */
export function qwen25Vocabulary(): Vocabulary {
  if (qwen2 === undefined) {
    const file = readLlamaSourceFile(QWEN2_VOCAB_PATH);
    if (file === undefined) {
      throw new Error(`the llama.cpp bundle has no ${QWEN2_VOCAB_PATH}`);
    }
    const { tokens, types, merges } = readVocabularyArrays(file);
    QWEN25_ADDED_TOKENS.forEach(([text, type], index) => {
      tokens[QWEN2_FIRST_ADDED_ID + index] = text;
      types[QWEN2_FIRST_ADDED_ID + index] = type;
    });
    qwen2 = { tokens, types, merges, special: findSpecialTokens(tokens) };
  }
  return qwen2;
}

/**
 * The first `normalTokens` Qwen2 tokens (the 256 byte tokens, then merge results in merge order)
 * with the merges that build them, plus the coder special tokens. Every byte has a token, so
 * any UTF-8 text tokenizes; common merges keep prompts short.
 */
export function tinyVocabulary(normalTokens = 4000): Vocabulary {
  const full = qwen25Vocabulary();
  const tokens = full.tokens.slice(0, normalTokens);
  const kept = new Set(tokens);
  // Qwen2 token 256 + i is the result of merge i, so this keeps exactly the merges of kept tokens.
  const merges = full.merges.filter((merge) => {
    const [left, right] = merge.split(" ");
    return left !== undefined && right !== undefined && kept.has(left) && kept.has(right) && kept.has(left + right);
  });
  const types: TokenType[] = tokens.map(() => TokenType.NORMAL);
  for (const special of CODER_SPECIAL_TOKENS) {
    tokens.push(special);
    types.push(TokenType.CONTROL);
  }
  return { tokens, types, merges, special: findSpecialTokens(tokens) };
}

/** Appends extra tokens (e.g. a scripted model's pieces) to a vocabulary. */
export function extendVocabulary(base: Vocabulary, extra: readonly string[], type: TokenType): Vocabulary {
  return {
    tokens: [...base.tokens, ...extra],
    types: [...base.types, ...extra.map(() => type)],
    merges: base.merges,
    special: base.special,
  };
}

/**
 * The tokenizer.* metadata llama.cpp reads: a gpt2-style byte-level BPE with Qwen2's
 * pre-tokenizer, Qwen's BOS/EOS conventions (no BOS added) and explicit FIM and EOT ids.
 */
export function tokenizerMetadata(vocab: Vocabulary, chatTemplate: string): [string, GgufValue][] {
  const ids = vocab.special;
  return [
    ["tokenizer.ggml.model", str("gpt2")],
    ["tokenizer.ggml.pre", str("qwen2")],
    ["tokenizer.ggml.tokens", strArray(vocab.tokens)],
    ["tokenizer.ggml.token_type", i32Array(vocab.types)],
    ["tokenizer.ggml.merges", strArray(vocab.merges)],
    ["tokenizer.ggml.eos_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.eot_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.bos_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.padding_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.add_bos_token", bool(false)],
    ["tokenizer.ggml.fim_pre_token_id", u32(ids.fimPrefix)],
    ["tokenizer.ggml.fim_suf_token_id", u32(ids.fimSuffix)],
    ["tokenizer.ggml.fim_mid_token_id", u32(ids.fimMiddle)],
    ["tokenizer.ggml.fim_pad_token_id", u32(ids.fimPad)],
    ["tokenizer.ggml.fim_rep_token_id", u32(ids.repoName)],
    ["tokenizer.ggml.fim_sep_token_id", u32(ids.fileSep)],
    ["tokenizer.chat_template", str(chatTemplate)],
  ];
}

function findSpecialTokens(tokens: readonly string[]): SpecialTokenIds {
  const idOf = (text: string): number => {
    const id = tokens.indexOf(text);
    if (id < 0) {
      throw new Error(`vocabulary lacks ${text}`);
    }
    return id;
  };
  return {
    endOfText: idOf("<|endoftext|>"),
    imStart: idOf("<|im_start|>"),
    imEnd: idOf("<|im_end|>"),
    fimPrefix: idOf("<|fim_prefix|>"),
    fimMiddle: idOf("<|fim_middle|>"),
    fimSuffix: idOf("<|fim_suffix|>"),
    fimPad: idOf("<|fim_pad|>"),
    repoName: idOf("<|repo_name|>"),
    fileSep: idOf("<|file_sep|>"),
  };
}

/** Reads the three tokenizer arrays from a vocabulary-only GGUF held in memory. */
function readVocabularyArrays(file: Buffer): { tokens: string[]; types: TokenType[]; merges: string[] } {
  const { metadata } = parseGgufHeader(file);
  return {
    tokens: arrayOf(metadata.get("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens") as string[],
    types: arrayOf(metadata.get("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type") as TokenType[],
    merges: arrayOf(metadata.get("tokenizer.ggml.merges"), "tokenizer.ggml.merges") as string[],
  };
}

function arrayOf(value: GgufValue | undefined, key: string): unknown[] {
  if (value?.type !== GgufValueType.ARRAY) {
    throw new Error(`vocabulary file has no array ${key}`);
  }
  return [...value.value];
}
