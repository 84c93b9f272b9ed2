import * as vscode from "vscode";
import type { Engine } from "../engine/api";
import { threadsLabel } from "../engine/cpuLoad";
import type { EngineState } from "../engine/types";
import { Commands } from "../commands/ids";
import { Disposable } from "../util/dispose";
import { statusText } from "./statusText";
import { remoteLines } from "./remoteText";

/** A request shorter than this never shows the busy spinner. */
const BUSY_DELAY_MS = 400;

/** Always shows what the engine is doing; a click opens the menu of what can be done about it. */
export class EngineStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private busyTimer?: ReturnType<typeof setTimeout>;
  private shownKind?: EngineState["kind"];

  constructor(private readonly engine: Engine) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem("slm.status", vscode.StatusBarAlignment.Right, 100));
    this.item.name = "SLM Assistant";
    this.item.command = Commands.statusMenu;
    this._register(engine.onDidChangeState((state) => this.onState(state)));
    this._register({ dispose: () => clearTimeout(this.busyTimer) });
    this.render(engine.state);
    this.item.show();
  }

  /**
   * Most completion requests take a fraction of a second: showing the busy spinner for each of
   * them makes the item flicker while typing. Busy shows only once a request has run for a while.
   */
  private onState(state: EngineState): void {
    clearTimeout(this.busyTimer);
    this.busyTimer = undefined;
    if (state.kind === "busy" && this.shownKind === "ready") {
      this.busyTimer = setTimeout(() => this.render(this.engine.state), BUSY_DELAY_MS);
      return;
    }
    this.render(state);
  }

  private render(state: EngineState): void {
    this.shownKind = state.kind;
    const { text, background } = statusText(state);
    this.item.text = text;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.tooltip = statusTooltip(state);
    this.item.accessibilityInformation = { label: `SLM Assistant: ${text.replace(/\$\([^)]*\)\s*/g, "")}` };
  }
}

function statusTooltip(state: EngineState): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  const remote = remoteLines(state);
  md.appendMarkdown(remote.length > 0 ? "**SLM Assistant**\n\n" : "**SLM Assistant** (runs on this machine, offline)\n\n");
  if (remote.length > 0) {
    md.appendText(remote.join("\n"));
    md.appendMarkdown("\n\n");
  }
  switch (state.kind) {
    case "noModel":
      md.appendMarkdown("No model is set yet, so there are no suggestions and no chat.\n\n");
      md.appendMarkdown("Click to choose a `.gguf` model file, scan a folder of models, download a recommended model, or open the walkthrough.\n\n");
      break;
    case "loading":
      md.appendText(`Loading ${state.modelPath ?? "model"}…`);
      md.appendMarkdown("\n\n");
      break;
    case "error":
      md.appendText(state.error?.message ?? "The model failed to load.");
      md.appendMarkdown("\n\n");
      break;
    case "unloaded":
      md.appendText(`${state.modelName ?? "The model"} was unloaded after slm.unloadAfterMinutes without use, to free memory. The next completion or chat request loads it again.`);
      md.appendMarkdown("\n\n");
      break;
    case "ready":
    case "busy":
      if (state.lanes?.completion && state.lanes.chat && state.lanes.completion.path !== state.lanes.chat.path) {
        md.appendText(`Completion: ${state.lanes.completion.name}\nFile: ${state.lanes.completion.path}\n`);
        md.appendText(`Chat: ${state.lanes.chat.name}\nFile: ${state.lanes.chat.path}\n`);
      } else {
        md.appendText(`Model: ${state.modelName ?? "?"}\nFile: ${state.modelPath ?? "?"}\n`);
        if (state.lanes && !state.lanes.chat) md.appendText("Chat: no model (slm.chat.modelPath and slm.modelPath are empty)\n");
        if (state.lanes && !state.lanes.completion) md.appendText("Completion: no model (slm.completion.modelPath and slm.modelPath are empty)\n");
      }
      md.appendText(
        `Context: ${state.contextSize ?? "?"} tokens · Threads: ${threadsLabel(state)} · Backend: ${state.gpu ?? "?"}${state.gpuLayers ? ` (${state.gpuLayers} layers)` : ""} · Flash attention: ${state.flashAttention ? "on" : "off"}`,
      );
      if (state.backendNote) md.appendText(`\n${state.backendNote}`);
      if (state.loraAdapters?.length) md.appendText(`\nLoRA: ${state.loraAdapters.map((adapter) => `${adapter.path} ×${adapter.scale}`).join(", ")}`);
      md.appendMarkdown("\n\n");
      break;
  }
  for (const [lane, error] of Object.entries(state.laneErrors ?? {})) {
    md.appendText(`✖ ${lane === "chat" ? "Chat" : "Completion"} has no model: ${error.message}`);
    md.appendMarkdown("\n\n");
  }
  for (const notice of state.notices) {
    md.appendText(`⚠ ${notice}`);
    md.appendMarkdown("\n\n");
  }
  if (state.kind !== "noModel") md.appendMarkdown("Click for actions.");
  return md;
}
