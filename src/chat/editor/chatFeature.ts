import * as vscode from "vscode";
import { readSettings, SECTION } from "../../config";
import type { Engine } from "../../engine/api";
import { Disposable } from "../../util/dispose";
import { ChatService } from "../chatService";
import { CHAT_VIEW_ID, ChatViewProvider } from "./chatView";
import { explainSelection } from "./explainSelection";
import { ChatHistory } from "../history";
import type { ChatTurn } from "../protocol";
import type { ChatSettings } from "../settings";

/** Arguments other code (and tests) may pass to `slm.openChat`. */
export interface OpenChatArgs {
  /** Ask this at once; the command then resolves with the answer. */
  readonly query?: string;
}

/** The chat feature: history, service, view and its commands. */
export class ChatFeature extends Disposable {
  private settingsSnapshot: ChatSettings;
  private readonly service: ChatService;
  private readonly provider: ChatViewProvider;
  private readonly explainDeps: Parameters<typeof explainSelection>[1];

  constructor(context: vscode.ExtensionContext, engine: Engine, log: vscode.LogOutputChannel) {
    super();
    this.settingsSnapshot = this.readSettings(log);
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${SECTION}.chat`)) this.settingsSnapshot = this.readSettings(log);
      }),
    );
    const history = new ChatHistory(context.workspaceState);
    this.service = new ChatService(engine, history, () => this.settingsSnapshot, (level, message) => (level === "warn" ? log.warn(message) : log.info(message)));
    this._register({ dispose: () => void this.service.dispose() });
    this.provider = this._register(new ChatViewProvider(context.extensionUri, this.service, log));
    this._register(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this.provider));

    this.explainDeps = { engine, service: this.service, settings: () => this.settingsSnapshot, showChat: () => this.provider.show(true) };
  }

  /** Explain or summarize the selection (or the code around the cursor) in the chat. */
  explain(kind: "explain" | "summarize"): ReturnType<typeof explainSelection> {
    return explainSelection(kind, this.explainDeps);
  }

  newChat(): ReturnType<ChatService["newChat"]> {
    return this.service.newChat();
  }

  async openChat(args?: OpenChatArgs): Promise<ChatTurn | undefined> {
    const query = typeof args?.query === "string" && args.query.trim() ? args.query : undefined;
    await this.provider.show(query !== undefined);
    return query ? this.service.ask(query) : undefined;
  }

  private readSettings(log: vscode.LogOutputChannel): ChatSettings {
    const { chat, chatNotices } = readSettings();
    for (const notice of chatNotices) {
      log.warn(notice);
      void vscode.window.showWarningMessage(`SLM Assistant: ${notice}`);
    }
    return chat;
  }

}
