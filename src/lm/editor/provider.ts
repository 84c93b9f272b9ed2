import * as vscode from "vscode";
import { EngineUnavailableError, isAbortError, type Engine } from "../../engine/api";
import type { ChatSettings } from "../../chat/settings";
import { withAbortSignal } from "../../util/abort";
import { Disposable } from "../../util/dispose";
import { chatModelInfo, VENDOR, type ChatModelInfo } from "../modelInfo";
import { hasNonTextParts, messageText, requestShape, toChatRequest } from "../messages";
import {
  chatProviderRegistration,
  type LanguageModelChatInformation,
  type LanguageModelChatProvider,
  type LanguageModelChatRequestMessage,
  type ProvideLanguageModelChatResponseOptions,
} from "./providerApi";

/** Where the editor has the API (VS Code 1.104+), puts our chat model into `vscode.lm` and VS Code's chat. */
export function registerChatModelProvider(engine: Engine, settings: () => ChatSettings, log: vscode.LogOutputChannel): vscode.Disposable {
  const register = chatProviderRegistration();
  if (!register) {
    log.info(`This editor (VS Code ${vscode.version}) has no language model provider API; the chat model is not offered to VS Code's chat.`);
    return { dispose: () => undefined };
  }
  const provider = new ChatModelProvider(engine, settings, log);
  const registration = register(VENDOR, provider);
  return vscode.Disposable.from(registration, provider);
}

/**
 * Lists the chat lane's model and answers through the engine's chat lane: the same model, template,
 * process, allowlist and offline rules as our own chat. No tools, no images.
 */
class ChatModelProvider extends Disposable implements LanguageModelChatProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private listed: string;

  constructor(
    private readonly engine: Engine,
    private readonly settings: () => ChatSettings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.listed = JSON.stringify(this.info());
    this._register(
      engine.onDidChangeState(() => {
        const now = JSON.stringify(this.info());
        if (now === this.listed) return;
        this.listed = now;
        this.changed.fire();
      }),
    );
  }

  provideLanguageModelChatInformation(): LanguageModelChatInformation[] {
    const { available: _available, unavailableReason: _reason, ...information } = this.info();
    return [information];
  }

  async provideLanguageModelChatResponse(
    _model: LanguageModelChatInformation,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const info = this.usable();
    if ((options.tools?.length ?? 0) > 0 && options.toolMode === vscode.LanguageModelChatToolMode.Required) {
      throw new vscode.LanguageModelError(`${info.name} cannot call tools: SLM Assistant's local models answer in text only.`);
    }
    const defaults = this.settings();
    const request = toChatRequest(messages, requestShape(options.modelOptions, defaults, info.maxOutputTokens));
    const dropped = messages.filter(hasNonTextParts).length;
    this.log.info(
      `VS Code language model request: ${messages.length} message(s) to ${info.name}` +
        (dropped > 0 ? ` (${dropped} carried images or tool calls, which this model cannot read; only their text was sent)` : ""),
    );
    try {
      const result = await withAbortSignal(token, (signal) =>
        this.engine.chat(request, { signal, onText: (text) => progress.report(new vscode.LanguageModelTextPart(text)) }),
      );
      this.log.info(
        `VS Code language model answer: ${result.generatedTokens} tokens after ${result.promptTokens} prompt tokens, ` +
          `first token ${result.timeToFirstTokenMs.toFixed(0)} ms, ${result.durationMs.toFixed(0)} ms in all (${result.stopReason})`,
      );
      for (const note of result.notes) this.log.info(`VS Code language model answer: ${note}`);
    } catch (error) {
      if (isAbortError(error)) return;
      throw this.asLanguageModelError(error);
    }
  }

  async provideTokenCount(_model: LanguageModelChatInformation, text: string | LanguageModelChatRequestMessage): Promise<number> {
    this.usable();
    try {
      return (await this.engine.tokenize("chat", messageText(text))).length;
    } catch (error) {
      throw this.asLanguageModelError(error);
    }
  }

  private info(): ChatModelInfo {
    return chatModelInfo(this.engine.state, this.settings().maxAnswerTokens);
  }

  /** The model's entry, or the API's "not found" error with the sentence that says why. */
  private usable(): ChatModelInfo {
    const info = this.info();
    if (!info.available) throw vscode.LanguageModelError.NotFound(info.unavailableReason);
    return info;
  }

  private asLanguageModelError(error: unknown): Error {
    if (error instanceof EngineUnavailableError) return vscode.LanguageModelError.NotFound(error.message);
    return error instanceof Error ? error : new Error(String(error));
  }
}
