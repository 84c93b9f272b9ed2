// A cost-faithful scripted next-edit model: a real shape (layer count, widths, Qwen2.5's full
// vocabulary) with all layer weights zero, so the logits depend only on the previous token (a
// bigram head), emitting a chosen window and then <|endoftext|>. Every token costs what it costs
// in the real model; the output is the window, one piece per token of its real tokenization.
//
// The pieces are user-defined tokens whose text is a real token's text followed by an invisible
// tag (zero-width characters encoding the piece's index): unique, as llama.cpp requires, never
// matched in ordinary text, and removable from the output (`stripWindowTags`). Because they are
// tokens of their own, a prompt can hold them too: the benchmark writes the unchanged parts of the
// current window with the same pieces, so prompt-lookup decoding finds the model's output in the
// prompt as it would find a real model's copied tokens.
import { separatedCodes } from "./scripted";
import { TransformerShape, transformerSpec, WeightPlan } from "./transformer";
import { GgmlType, GgufModelSpec } from "./types";
import { extendVocabulary, qwen25Vocabulary, TokenType, Vocabulary } from "./vocab";

const TAG_DIGITS = ["\u200b", "\u200c", "\u200d", "\u2060"];
const TAG_PATTERN = /\u200b|\u200c|\u200d|\u2060/g;

/** The text of piece `index`: `text` with the invisible tag of `index`. */
export function windowPiece(text: string, index: number): string {
  let tag = "";
  for (let rest = index, i = 0; i < 6; i++, rest = Math.floor(rest / 4)) tag += TAG_DIGITS[rest % 4];
  return `${text}${tag}`;
}

export function stripWindowTags(text: string): string {
  return text.replace(TAG_PATTERN, "");
}

/**
 * `pieces` (texts from windowPiece) in order, then <|endoftext|>, at `shape`; untied output (the
 * real models tie it, which costs the same projection), Q8_0 like the published files.
 */
export function windowScriptSpec(shape: TransformerShape, pieces: readonly string[], chatTemplate: string): GgufModelSpec {
  const base = qwen25Vocabulary();
  const vocab = extendVocabulary(base, pieces, TokenType.USER_DEFINED);
  const firstPiece = base.tokens.length;
  const targets = [...pieces.map((_, i) => firstPiece + i), base.special.endOfText];
  const width = shape.embedding;
  const codes = separatedCodes(targets.length, width);
  const next = (token: number): number => (token >= firstPiece ? token - firstPiece + 1 : 0);
  const target = (token: number): number => (token >= firstPiece ? token - firstPiece : token === base.special.endOfText ? targets.length - 1 : -1);
  const embedding = rows(vocab, codes, width, next);
  const output = rows(vocab, codes, width, target);
  const weights: WeightPlan = ({ role }) => {
    switch (role) {
      case "embedding":
        return { type: GgmlType.Q8_0, data: { kind: "values", values: embedding } };
      case "output":
        return { type: GgmlType.Q8_0, data: { kind: "values", values: output } };
      case "norm":
        return { type: GgmlType.F32, data: { kind: "constant", value: 1 } };
      case "bias":
        return { type: GgmlType.F32, data: { kind: "constant", value: 0 } };
      case "matrix":
        return { type: GgmlType.Q8_0, data: { kind: "constant", value: 0 } };
    }
  };
  return transformerSpec({ ...shape, name: `${shape.name} (scripted next-edit window)`, tiedEmbeddings: false }, vocab, chatTemplate, weights, GgmlType.Q8_0);
}

function rows(vocab: Vocabulary, codes: Float32Array, width: number, pick: (token: number) => number): Float32Array {
  const table = new Float32Array(vocab.tokens.length * width);
  for (let token = 0; token < vocab.tokens.length; token++) {
    const k = pick(token);
    if (k >= 0) table.set(codes.subarray(k * width, (k + 1) * width), token * width);
  }
  return table;
}
