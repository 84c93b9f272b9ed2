import * as path from "node:path";
import { detectFimFormat, type FimDetection, type FimModelInfo } from "../../models/fimFormat";
import type { LlamaModel, Token } from "./llamaRuntime";

/** Reads what FIM detection needs from a loaded model: token texts by the ids its GGUF names. */
export function fimInfoOf(model: LlamaModel, modelPath: string): FimModelInfo {
  const metadata = model.fileInfo.metadata;
  const ggml = (metadata?.tokenizer?.ggml ?? {}) as Record<string, unknown>;
  const general = (metadata?.general ?? {}) as Record<string, unknown>;
  const textOf = (key: string): string | undefined => {
    const id = ggml[key];
    return typeof id === "number" ? model.detokenize([id as Token], true) : undefined;
  };
  return {
    architecture: stringOr(general.architecture),
    name: stringOr(general.name),
    finetune: stringOr(general.finetune),
    sizeLabel: stringOr(general.size_label),
    fileName: path.basename(modelPath),
    fimPre: textOf("fim_pre_token_id") ?? textOf("prefix_token_id"),
    fimSuf: textOf("fim_suf_token_id") ?? textOf("suffix_token_id"),
    fimMid: textOf("fim_mid_token_id") ?? textOf("middle_token_id"),
    fimPad: textOf("fim_pad_token_id"),
    fimRep: textOf("fim_rep_token_id"),
    fimSep: textOf("fim_sep_token_id"),
    bos: textOf("bos_token_id"),
    eos: textOf("eos_token_id"),
    eot: textOf("eot_token_id"),
    addBos: typeof ggml.add_bos_token === "boolean" ? ggml.add_bos_token : undefined,
    hasToken: (text) => {
      const tokens = model.tokenize(text, true);
      return tokens.length === 1 && model.detokenize(tokens, true) === text;
    },
  };
}

export function detectModelFim(model: LlamaModel, modelPath: string): FimDetection {
  return detectFimFormat(fimInfoOf(model, modelPath));
}

function stringOr(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
