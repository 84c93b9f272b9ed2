/**
 * Turns fill-in-the-middle pieces into token ids with llama-server's own tokenizer (`/tokenize`),
 * exactly as the local engine does with node-llama-cpp: special pieces with special tokens on,
 * text pieces with them off (text that spells a control token stays text), and node-llama-cpp's
 * "trimLeadingSpace" emulated the same way it does it. The same tokens go to the server as would
 * go to our own KV cache, so the server's prompt cache reuses what ours would.
 */
import type { PromptPiece } from "../api";
import type { ServerConnection } from "./connection";

const TOKENIZE_TIMEOUT_MS = 10_000;
/** Pieces are kept (most recently used last), so a keystroke re-tokenizes only the piece it changed. */
const CACHED_PIECES = 64;

export class PieceTokenizer {
  private readonly cache = new Map<string, number[]>();
  private newline?: number[];

  constructor(private readonly connection: ServerConnection) {}

  async tokenizePieces(pieces: readonly PromptPiece[], signal?: AbortSignal): Promise<number[]> {
    const parts = await Promise.all(pieces.map((piece) => this.piece(piece, signal)));
    return parts.flat();
  }

  /** Plain tokenization (no BOS added). */
  async tokenize(text: string, special: boolean, signal?: AbortSignal): Promise<number[]> {
    const answer = (await this.connection.json({
      method: "POST",
      path: "/tokenize",
      body: { content: text, add_special: false, parse_special: special },
      signal,
      timeoutMs: TOKENIZE_TIMEOUT_MS,
    })) as { tokens?: unknown };
    if (!Array.isArray(answer.tokens) || !answer.tokens.every((token) => typeof token === "number")) {
      throw new Error(`${this.connection.label} answered /tokenize without token ids.`);
    }
    return answer.tokens;
  }

  async detokenize(tokens: readonly number[], signal?: AbortSignal): Promise<string> {
    const answer = (await this.connection.json({ method: "POST", path: "/detokenize", body: { tokens }, signal, timeoutMs: TOKENIZE_TIMEOUT_MS })) as { content?: unknown };
    return typeof answer.content === "string" ? answer.content : "";
  }

  clear(): void {
    this.cache.clear();
    this.newline = undefined;
  }

  private async piece(piece: PromptPiece, signal?: AbortSignal): Promise<number[]> {
    const special = "special" in piece;
    const text = special ? piece.special : piece.text;
    const trim = !special && piece.trimLeadingSpace === true;
    const key = `${special ? "S" : trim ? "T" : "L"}${text}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Most recently used last.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const tokens = special ? await this.tokenize(text, true, signal) : trim ? await this.trimmed(text, signal) : await this.tokenize(text, false, signal);
    this.cache.set(key, tokens);
    if (this.cache.size > CACHED_PIECES) this.cache.delete(this.cache.keys().next().value!);
    return tokens;
  }

  /**
   * node-llama-cpp's "trimLeadingSpace" for text without special tokens: tokenize "\n" + text and
   * drop the newline's tokens, so a SentencePiece tokenizer adds no space in front; the plain
   * tokens when that cannot be done.
   */
  private async trimmed(text: string, signal?: AbortSignal): Promise<number[]> {
    if (text.startsWith("\n")) return this.tokenize(text, false, signal);
    this.newline ??= await this.tokenize("\n", false, signal);
    const newline = this.newline;
    const tokens = await this.tokenize(`\n${text}`, false, signal);
    if (newline.length > 0 && newline.every((token, index) => tokens[index] === token)) return tokens.slice(newline.length);
    return this.tokenize(text, false, signal);
  }
}
