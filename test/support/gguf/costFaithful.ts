// A cost-faithful scripted model: a real model's exact shape (layers, widths, heads, the full
// 151,936-token Qwen2 vocabulary) whose every layer weight is zero, so each token costs what it
// costs in the real model (zeros multiply as slowly as anything else), with a bigram head that
// makes it write a chosen text and then its end token: benchmarks see realistic output that
// stops by itself, post-processing and the cache see real code.
//
// Zero layers leave the residual stream equal to the current token's embedding, so the logits
// are RMSNorm(embedding[prev]) · output^T. The text's bytes are BYTE tokens of their own
// (`<0xHH>~i`, in the vocabulary's padding slots, which no prompt can produce); every ordinary
// token points to the first, byte i to byte i+1, the last to <|endoftext|>, each target by a ±1
// code in the first 128 dimensions of its output row and of its predecessors' embeddings.
import { separatedCodes } from "./scripted";
import { TransformerShape, transformerSpec, WeightPlan } from "./transformer";
import { GgmlType, GgufModelSpec } from "./types";
import { qwen25Vocabulary, TokenType, Vocabulary } from "./vocab";

const CODE_WIDTH = 128;
/** Qwen2.5's first padding slot after its added tokens (ids 151665 … 151935). */
const FIRST_FREE_ID = 151665;

export function costFaithfulSpec(shape: TransformerShape, text: string, chatTemplate: string): GgufModelSpec {
  const bytes = Buffer.from(text, "utf8");
  const base = qwen25Vocabulary();
  if (FIRST_FREE_ID + bytes.length > base.tokens.length) throw new Error(`a script of ${bytes.length} bytes does not fit the vocabulary's ${base.tokens.length - FIRST_FREE_ID} free slots`);
  const tokens = [...base.tokens];
  const types = [...base.types];
  bytes.forEach((byte, i) => {
    tokens[FIRST_FREE_ID + i] = `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>~${i + 1}`;
    types[FIRST_FREE_ID + i] = TokenType.BYTE;
  });
  const vocab: Vocabulary = { ...base, tokens, types };
  const end = base.special.endOfText;
  const count = bytes.length + 1;
  const codes = separatedCodes(count, CODE_WIDTH);
  const isPiece = (token: number) => token >= FIRST_FREE_ID && token < FIRST_FREE_ID + bytes.length;
  // Target k: byte k (k < bytes.length), then the end token.
  const nextTarget = (token: number) => (isPiece(token) ? token - FIRST_FREE_ID + 1 : 0);
  const targetOf = (token: number) => (isPiece(token) ? token - FIRST_FREE_ID : token === end ? bytes.length : -1);
  const code = (target: number, out: Float32Array) => out.set(codes.subarray(target * CODE_WIDTH, (target + 1) * CODE_WIDTH));
  const weights: WeightPlan = ({ role }) => {
    switch (role) {
      case "embedding":
        return { type: GgmlType.Q8_0, data: { kind: "rows", fill: (token, out) => code(nextTarget(token), out) } };
      case "output":
        return {
          type: GgmlType.Q8_0,
          data: { kind: "rows", fill: (token, out) => { const target = targetOf(token); if (target >= 0) code(target, out); } },
        };
      case "norm":
        return { type: GgmlType.F32, data: { kind: "constant", value: 1 } };
      case "bias":
        return { type: GgmlType.F32, data: { kind: "constant", value: 0 } };
      case "matrix":
        return { type: GgmlType.Q8_0, data: { kind: "constant", value: 0 } };
    }
  };
  return transformerSpec({ ...shape, tiedEmbeddings: false }, vocab, chatTemplate, weights, GgmlType.Q8_0);
}
