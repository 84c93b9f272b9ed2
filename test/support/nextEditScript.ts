// Next-edit prompts for the scripted window models (test/support/gguf/windowScript.ts), shared by
// bench:nextedit and the engine tests: the window's real Qwen2.5 token texts (one model piece per
// token) and the prompt with the current window written in those pieces where it matches the
// predicted window, so prompt-lookup decoding finds the model's output in the prompt as it finds a
// real model's copied tokens.
import type { PromptPiece } from "../../src/engine/api";
import { FILE_SEP } from "../../src/nextEdit/prompt";
import { qwen25VocabModel } from "./models";

/** The real Qwen2.5 token texts of `text` (one piece per token, as the real model writes it). */
export async function windowTokenTexts(text: string): Promise<string[]> {
  const { getLlama } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never" });
  const model = await llama.loadModel({ modelPath: await qwen25VocabModel(), vocabOnly: true });
  try {
    const texts = model.tokenize(text, false).map((token) => model.detokenize([token]));
    if (texts.join("") !== text) throw new Error("the window's tokens do not detokenize one by one to its text");
    return texts;
  } finally {
    await model.dispose();
    await llama.dispose();
  }
}

/**
 * The prompt with the current window's text written as the model's pieces where it matches the
 * predicted window (token by token from the start and from the end), as text in between.
 */
export function withScriptPieces(pieces: readonly PromptPiece[], currentWindow: string, segments: readonly string[], scripted: readonly string[]): PromptPiece[] {
  const body = `${currentWindow}\n`;
  let head = 0;
  let offset = 0;
  while (head < segments.length && body.startsWith(segments[head]!, offset)) offset += segments[head++]!.length;
  let tail = segments.length;
  let end = body.length;
  while (tail > head && body.slice(0, end).endsWith(segments[tail - 1]!) && end - segments[tail - 1]!.length >= offset) end -= segments[--tail]!.length;
  const out: PromptPiece[] = [];
  for (const piece of pieces) {
    if ("text" in piece && piece.text.startsWith("current/") && piece.text.endsWith(body)) {
      out.push({ text: piece.text.slice(0, piece.text.length - body.length) });
      for (let i = 0; i < head; i++) out.push({ special: scripted[i]! });
      if (end > offset) out.push({ text: body.slice(offset, end) });
      for (let i = tail; i < segments.length; i++) out.push({ special: scripted[i]! });
    } else {
      out.push(piece);
    }
  }
  if (!out.some((piece) => "special" in piece && piece.special !== FILE_SEP)) throw new Error("the current window was not found in the prompt");
  return out;
}

