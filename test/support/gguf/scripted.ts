// A model that says one fixed text, whatever the prompt.
//
// It is a 1-layer llama whose attention and FFN weights are all zero, so the residual stream
// is just the previous token's embedding and the logits are a bigram table:
// logits = RMSNorm(embedding[prev]) · output^T. Each byte of the text gets a token of its own
// (a byte token named `<0xHH>~i`: llama.cpp decodes `<0xHH>` byte tokens to that byte and
// aborts on duplicate token texts, hence the suffix), which no prompt can produce because byte
// tokens are never matched from text. Every ordinary token points to piece 1, piece i to piece
// i+1 and the last piece to the end token, by giving each target a ±1 code as its output row
// and the predecessor that code as its embedding.
import { GgmlType, GgufModelSpec } from "./types";
import { TransformerShape, transformerSpec, WeightPlan } from "./transformer";
import { extendVocabulary, tinyVocabulary, TokenType, Vocabulary } from "./vocab";

export type ScriptMode = "completion" | "chat";

/** ±1 codes of this width separate 256 targets exactly and thousands with a wide margin. */
const CODE_WIDTH = 128;

/**
 * `text`, or several texts: the first is the model's answer, and the others are its runner-ups
 * for the first token, in order (every ordinary token's embedding mixes the first pieces' codes
 * with weights 1, 0.95, 0.9, …), each going on to its own end; for inline completion's
 * alternatives.
 */
export function scriptedModelSpec(text: string | readonly string[], mode: ScriptMode, chatTemplate: string): GgufModelSpec {
  const texts = typeof text === "string" ? [text] : text;
  if (mode === "chat" && texts.some((t) => t.includes("<|im_end|>"))) {
    throw new Error("a chat script cannot contain <|im_end|>: the chat wrapper would stop there");
  }
  const scripts = texts.map((t) => Buffer.from(t, "utf8"));
  const base = tinyVocabulary();
  // Piece names stay unique across scripts (llama.cpp aborts on duplicate token texts): ~n, then ~s.n.
  const pieces = scripts.flatMap((bytes, s) => Array.from(bytes, (byte, i) => `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>~${s === 0 ? "" : `${s}.`}${i + 1}`));
  const vocab = extendVocabulary(base, pieces, TokenType.BYTE);
  const endToken = mode === "chat" ? base.special.imEnd : base.special.endOfText;
  const firstPiece = base.tokens.length;
  // Target k is piece k+1 (token firstPiece + k); the last target is the end token.
  const targets = [...pieces.map((_, i) => firstPiece + i), endToken];
  const endTarget = targets.length - 1;
  const codes = separatedCodes(targets.length, CODE_WIDTH);
  // Where each script's pieces start among the targets.
  const starts = scripts.map((_, s) => scripts.slice(0, s).reduce((sum, bytes) => sum + bytes.length, 0));
  const lastPieces = new Set(scripts.map((bytes, s) => starts[s]! + bytes.length - 1));
  const nextTarget = (token: number): number => {
    const piece = token - firstPiece;
    return lastPieces.has(piece) ? endTarget : piece + 1;
  };

  const longest = Math.max(...scripts.map((bytes) => bytes.length));
  const shape: TransformerShape = {
    architecture: "llama",
    name: "SLM scripted model (constructed weights)",
    contextLength: Math.max(4096, Math.ceil((longest + 4096) / 1024) * 1024),
    embedding: CODE_WIDTH,
    layers: 1,
    heads: 4,
    kvHeads: 4,
    feedForward: 128,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
    tiedEmbeddings: false,
    qkvBias: false,
  };
  const embedding = codeRows(vocab, codes, (token) => (token >= firstPiece ? nextTarget(token) : -1));
  // Ordinary tokens: the scripts' first pieces, the first script weighing most (an empty script starts at its end).
  const mix = new Float32Array(CODE_WIDTH);
  scripts.forEach((bytes, s) => {
    const target = bytes.length > 0 ? starts[s]! : endTarget;
    for (let j = 0; j < CODE_WIDTH; j++) mix[j]! += (1 - 0.05 * s) * codes[target * CODE_WIDTH + j]!;
  });
  for (let token = 0; token < firstPiece; token++) embedding.set(mix, token * CODE_WIDTH);
  const output = codeRows(vocab, codes, (token) => targetIndexOf(targets, token));
  const weights: WeightPlan = ({ role }) => {
    switch (role) {
      case "embedding":
        return { type: GgmlType.F16, data: { kind: "values", values: embedding } };
      case "output":
        return { type: GgmlType.F16, data: { kind: "values", values: output } };
      case "norm":
        return { type: GgmlType.F32, data: { kind: "constant", value: 1 } };
      case "bias":
      case "matrix":
        return { type: GgmlType.F16, data: { kind: "constant", value: 0 } };
    }
  };
  return transformerSpec(shape, vocab, chatTemplate, weights, GgmlType.F16);
}

/** A vocab × width table whose row t is code[pick(t)], or zeros where pick gives -1. */
function codeRows(vocab: Vocabulary, codes: Float32Array, pick: (token: number) => number): Float32Array {
  const rows = new Float32Array(vocab.tokens.length * CODE_WIDTH);
  for (let token = 0; token < vocab.tokens.length; token++) {
    const target = pick(token);
    if (target >= 0) {
      rows.set(codes.subarray(target * CODE_WIDTH, (target + 1) * CODE_WIDTH), token * CODE_WIDTH);
    }
  }
  return rows;
}

function targetIndexOf(targets: readonly number[], token: number): number {
  // Targets are the contiguous pieces plus one end token, so this stays O(1) per token.
  const last = targets.length - 1;
  if (token === targets[last]) {
    return last;
  }
  const first = targets[0];
  return first !== undefined && last > 0 && token >= first && token < first + last ? token - first : -1;
}

/** Beyond this many codes the pairwise margin check costs seconds; random codes are safe anyway. */
const CHECKED_CODE_LIMIT = 8192;

/**
 * `count` ±1 codes of `width` whose pairwise dot products stay at or below width/2, so the
 * intended next token's logit (width) beats every other target's by at least width/2.
 * Up to 2·width codes are rows of a Sylvester Hadamard matrix and their negations (dot 0 or
 * -width, exact); more are seeded random codes, redrawn while one comes too close to another.
 * For more than CHECKED_CODE_LIMIT codes the check is skipped: two random 128-wide codes agree
 * on 114+ places (dot ≥ 100) with probability ~1e-18.
 */
export function separatedCodes(count: number, width: number): Float32Array {
  const codes = new Float32Array(count * width);
  if (count <= 2 * width) {
    for (let k = 0; k < count; k++) {
      const row = k % width;
      const sign = k < width ? 1 : -1;
      for (let j = 0; j < width; j++) {
        codes[k * width + j] = sign * (popcount32(row & j) % 2 === 0 ? 1 : -1);
      }
    }
    return codes;
  }
  const random = mulberry32(count);
  const words = width / 32;
  const packed = new Uint32Array(count * words);
  for (let k = 0; k < count; k++) {
    do {
      for (let w = 0; w < words; w++) {
        packed[k * words + w] = Math.floor(random() * 2 ** 32) >>> 0;
      }
    } while (k < CHECKED_CODE_LIMIT && maxDotWithEarlier(packed, k, words, width) > width / 2);
    for (let j = 0; j < width; j++) {
      const bit = (packed[k * words + (j >>> 5)]! >>> (j & 31)) & 1;
      codes[k * width + j] = bit ? 1 : -1;
    }
  }
  return codes;
}

function maxDotWithEarlier(packed: Uint32Array, k: number, words: number, width: number): number {
  let max = -width;
  for (let other = 0; other < k; other++) {
    let differing = 0;
    for (let w = 0; w < words; w++) {
      differing += popcount32(packed[k * words + w]! ^ packed[other * words + w]!);
    }
    max = Math.max(max, width - 2 * differing);
  }
  return max;
}

function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** A small seeded PRNG so the same text always gets the same codes. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
