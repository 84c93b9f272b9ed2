import type * as NodeLlamaCpp from "node-llama-cpp" with { "resolution-mode": "import" };
import type { LlamaModel, LlamaModule } from "./llamaRuntime";
import type { PromptMessage } from "../api";

export type ChatWrapper = NodeLlamaCpp.ChatWrapper;
export type ChatHistoryItem = NodeLlamaCpp.ChatHistoryItem;

export interface ResolvedTemplate {
  readonly wrapper: ChatWrapper;
  /** Set when the model has no usable template of its own and a default is used instead. */
  readonly notice?: string;
}

const resolved = new WeakMap<LlamaModel, ResolvedTemplate>();

/**
 * The model's own chat template, read from the GGUF, rendered by node-llama-cpp's Jinja wrapper.
 * (`resolveChatWrapper` would also find the template, but it first checks it against every
 * built-in format, which costs over a second of blocking work in the extension host.) Without a
 * template, node-llama-cpp would guess from the name and fall back to Llama 2's `[INST]` format,
 * wrong for most current small models: use ChatML then, the format most of them use, and say so.
 */
export function resolveTemplate(module: LlamaModule, model: LlamaModel): ResolvedTemplate {
  const cached = resolved.get(model);
  if (cached) return cached;
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  let result: ResolvedTemplate | undefined;
  if (typeof template === "string" && template.trim()) {
    try {
      result = { wrapper: new module.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer }) };
    } catch (error) {
      result = {
        wrapper: new module.ChatMLChatWrapper(),
        notice: `This model's chat template could not be used (${error instanceof Error ? error.message : String(error)}), so the chat is formatted as ChatML. If answers look garbled, try another build of the model.`,
      };
    }
  }
  result ??= {
    wrapper: new module.ChatMLChatWrapper(),
    notice:
      "This model file has no chat template, so the chat is formatted as ChatML (a guess). " +
      "If answers look garbled, use an instruct model whose GGUF includes its chat template.",
  };
  resolved.set(model, result);
  return result;
}

export function toHistoryItems(messages: readonly PromptMessage[], withAnswerSlot: boolean): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    switch (message.role) {
      case "system":
        return { type: "system", text: message.text };
      case "user":
        return { type: "user", text: message.text };
      case "assistant":
        return { type: "model", response: [message.text] };
    }
  });
  if (withAnswerSlot) items.push({ type: "model", response: [] });
  return items;
}

/** Exact prompt size: the messages formatted with the template, tokenized by the model. */
export function measureWith(wrapper: ChatWrapper, model: LlamaModel): (messages: readonly PromptMessage[]) => number {
  return (messages) => {
    const { contextText } = wrapper.generateContextState({ chatHistory: toHistoryItems(messages, true) });
    return contextText.tokenize(model.tokenizer).length;
  };
}
