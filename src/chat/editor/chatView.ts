import * as vscode from "vscode";
import { Commands } from "../../commands/ids";
import { Disposable } from "../../util/dispose";
import type { ChatService } from "../chatService";
import { chatHtml, newNonce } from "./html";
import { assertNever, type NoticeAction, type WebviewMessage } from "../protocol";
import { safeExternalLink, validateWebviewMessage } from "../validate";

export const CHAT_VIEW_ID = "slm.chatView";
/** The built webview bundle; the only folder the webview may load from. */
const MEDIA_FOLDER = ["dist", "media"];

export interface RenderStats {
  readonly frames: number;
  readonly longestFrameMs: number;
  readonly framesOver50Ms: number;
}

/**
 * The chat's webview view. Loads the locked-down page, connects it to the ChatService once the
 * page says it is ready, and checks every message the page sends before acting on it.
 */
export class ChatViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;
  private lastEditor?: vscode.TextEditor;
  private viewDisposables: vscode.Disposable[] = [];
  lastRenderStats?: RenderStats;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: ChatService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.lastEditor = vscode.window.activeTextEditor;
    // The webview takes focus when clicked, so "insert at cursor" needs the editor used before it.
    this._register(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.lastEditor = editor;
      }),
    );
    this._register({ dispose: () => this.disposeView() });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    const mediaRoot = vscode.Uri.joinPath(this.extensionUri, ...MEDIA_FOLDER);
    view.webview.options = { enableScripts: true, enableForms: false, enableCommandUris: false, localResourceRoots: [mediaRoot] };
    view.webview.html = chatHtml({
      cspSource: view.webview.cspSource,
      nonce: newNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, "chat.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, "chat.css")).toString(),
    });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.service.attach(undefined);
        }
      }),
    );
  }

  /** Opens the view (without taking focus from the editor when `preserveFocus`). */
  async show(preserveFocus: boolean): Promise<void> {
    if (this.view) {
      this.view.show(preserveFocus);
      return;
    }
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`, { preserveFocus });
  }

  private onMessage(raw: unknown): void {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.log.warn(`Chat view sent a message that was refused: ${checked.reason}`);
      if (checked.userMessage) this.service.notify({ level: "warning", text: checked.userMessage });
      if (checked.rejectedText) this.service.restoreInput(checked.rejectedText);
      return;
    }
    void this.handle(checked.message).catch((error: unknown) => this.log.error(`Chat: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case "ready": {
        const view = this.view;
        if (!view) return;
        this.service.attach({ post: (m) => void view.webview.postMessage(m) });
        return;
      }
      case "send":
        await this.service.ask(message.text);
        return;
      case "stop":
        this.service.stop();
        return;
      case "newChat":
        await this.service.newChat();
        return;
      case "copyCode":
        await vscode.env.clipboard.writeText(message.code);
        return;
      case "insertCode":
        await this.insertCode(message.code);
        return;
      case "openLink":
        await this.openLink(message.href);
        return;
      case "runAction":
        await runNoticeAction(message.action);
        return;
      case "renderStats":
        this.lastRenderStats = { frames: message.frames, longestFrameMs: message.longestFrameMs, framesOver50Ms: message.framesOver50Ms };
        this.log.debug(
          `Chat view rendering: ${message.frames} renders, longest ${message.longestFrameMs.toFixed(1)} ms, ${message.framesOver50Ms} frames over 50 ms`,
        );
        return;
      default:
        assertNever(message);
    }
  }

  private async insertCode(code: string): Promise<void> {
    const editor = this.lastEditor;
    const open = editor && vscode.window.visibleTextEditors.includes(editor) ? editor : vscode.window.visibleTextEditors[0];
    if (!open) {
      void vscode.window.showWarningMessage("SLM Assistant: open a file and place the cursor where the code should go, then click Insert again.");
      return;
    }
    const done = await open.edit((edit) => {
      for (const selection of open.selections) edit.replace(selection, code);
    });
    if (!done) {
      void vscode.window.showWarningMessage("SLM Assistant: the code could not be inserted (is the file read-only?).");
      return;
    }
    await vscode.window.showTextDocument(open.document, { viewColumn: open.viewColumn, preserveFocus: false });
  }

  private async openLink(href: string): Promise<void> {
    const url = safeExternalLink(href);
    if (!url) {
      this.service.notify({ level: "warning", text: `SLM Assistant opens only http, https and mailto links from the chat; this one was not opened: ${href.slice(0, 200)}` });
      return;
    }
    const OPEN = "Open Link";
    const choice = await vscode.window.showWarningMessage(
      "The model wrote this link. Open it in your browser?",
      { modal: true, detail: url.toString() },
      OPEN,
    );
    if (choice === OPEN) await vscode.env.openExternal(vscode.Uri.parse(url.toString(), true));
  }

  private disposeView(): void {
    for (const disposable of this.viewDisposables.splice(0)) disposable.dispose();
  }
}

export async function runNoticeAction(action: NoticeAction): Promise<void> {
  switch (action) {
    case "selectModel":
      await vscode.commands.executeCommand(Commands.selectModel);
      return;
    case "selectChatModel":
      await vscode.commands.executeCommand(Commands.selectChatModel);
      return;
    case "showLog":
      await vscode.commands.executeCommand(Commands.showLog);
      return;
    case "openSettings":
      await vscode.commands.executeCommand(Commands.openSettings);
      return;
    default:
      assertNever(action);
  }
}
