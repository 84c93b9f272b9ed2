// Chat-specific generated models, built from test/support's scripted-model spec:
// - raw bytes (including invalid UTF-8), by renaming the byte tokens of a placeholder script;
// - a model without a chat template, by leaving that key out.
// Cached by content in the same folder as test/support's models.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cachedFile, modelCacheDir } from "../support/gguf/cache";
import { qwenChatTemplate } from "../support/gguf/chatTemplate";
import { scriptedModelSpec } from "../support/gguf/scripted";
import type { GgufModelSpec, GgufValue } from "../support/gguf/types";
import { GgufValueType } from "../support/gguf/types";
import { writeGguf } from "../support/gguf/writer";

const PLACEHOLDER_BYTE = 0x78; // "x"

export interface ChatModelOptions {
  /** Leave tokenizer.chat_template out of the file. */
  readonly withoutTemplate?: boolean;
}

/** A chat model that emits exactly `bytes` (one token per byte, so UTF-8 characters arrive split) then <|im_end|>. */
export function scriptedChatBytesModel(bytes: Uint8Array, options: ChatModelOptions = {}): Promise<string> {
  const key = createHash("sha256").update(Buffer.from(bytes)).update(JSON.stringify(options)).update("v1").digest("hex").slice(0, 16);
  const path = join(modelCacheDir(), "chat", `bytes-${key}.gguf`);
  return cachedFile(path, async (temporary) => {
    await writeGguf(temporary, chatBytesSpec(bytes, options));
  });
}

/** A chat model that says `text` (UTF-8). */
export function scriptedChatModel(text: string, options: ChatModelOptions = {}): Promise<string> {
  return scriptedChatBytesModel(Buffer.from(text, "utf8"), options);
}

function chatBytesSpec(bytes: Uint8Array, options: ChatModelOptions): GgufModelSpec {
  const spec = scriptedModelSpec(String.fromCharCode(PLACEHOLDER_BYTE).repeat(bytes.length), "chat", qwenChatTemplate());
  const metadata = new Map<string, GgufValue>(spec.metadata);
  const tokens = metadata.get("tokenizer.ggml.tokens");
  if (tokens?.type !== GgufValueType.ARRAY) throw new Error("scripted model has no token list");
  const renamed = tokens.value.map((token) => {
    const match = typeof token === "string" ? /^<0x78>~(\d+)$/.exec(token) : null;
    if (!match) return token;
    const byte = bytes[Number(match[1]) - 1]!;
    return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>~${match[1]}`;
  });
  metadata.set("tokenizer.ggml.tokens", { ...tokens, value: renamed });
  if (options.withoutTemplate) metadata.delete("tokenizer.chat_template");
  return { ...spec, metadata };
}
