import * as vscode from "vscode";
import { SECTION } from "../config";
import type { Engine } from "../engine/api";
import type { EngineState } from "../engine/types";
import { Commands } from "../commands/ids";
import { Disposable } from "../util/dispose";
import {
  FIRST_RUN_OFFERED_KEY, MODEL_READY_CONTEXT, shouldOfferFirstRun, SUGGESTION_SHOWN_KEY, WALKTHROUGH_REF, WalkthroughContext, type ConfiguredModels,
} from "./firstRunState";

export const CHOOSE_MODEL = "Choose Model…";
export const GET_STARTED = "Get Started";

/**
 * Gets a new user from install to a working assistant: one notification on the first activation
 * without a model (remembered in globalState, so it never nags), and the context keys that tick the
 * walkthrough's steps from the current state: a model working, a models folder or next-edit model
 * set, a suggestion shown once (remembered in globalState).
 */
export class FirstRun extends Disposable {
  /** The walkthrough's context keys and the values this window last gave them. */
  private readonly contexts = new Map<string, boolean>();

  constructor(
    engine: Engine,
    private readonly globalState: vscode.Memento,
    onDidShowSuggestion: vscode.Event<unknown>,
  ) {
    super();
    this._register(engine.onDidChangeState((state) => this.setModelReady(state)));
    this.setModelReady(engine.state);
    this.setSettingContexts();
    this._register(vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration(SECTION) && this.setSettingContexts()));
    const shown = this.globalState.get<boolean>(SUGGESTION_SHOWN_KEY, false);
    this.setContext(WalkthroughContext.suggestionShown, shown);
    if (!shown) {
      const once = this._register(
        onDidShowSuggestion(() => {
          once.dispose();
          void this.globalState.update(SUGGESTION_SHOWN_KEY, true);
          this.setContext(WalkthroughContext.suggestionShown, true);
        }),
      );
    }
  }

  /** Shows the notification if this is the first run without a model; never awaited by activate(). */
  async offerOnce(): Promise<void> {
    if (!shouldOfferFirstRun(readConfiguredModels(), this.globalState.get<boolean>(FIRST_RUN_OFFERED_KEY, false))) return;
    // Remembered before it is shown: a window closed while the notification is up must not show it again.
    await this.globalState.update(FIRST_RUN_OFFERED_KEY, true);
    const choice = await vscode.window.showInformationMessage(
      "SLM Assistant runs a small model on this machine, and no model is set yet. Choose a .gguf model file, or get started step by step.",
      CHOOSE_MODEL,
      GET_STARTED,
    );
    if (choice === CHOOSE_MODEL) await vscode.commands.executeCommand(Commands.selectModel);
    else if (choice === GET_STARTED) await this.openWalkthrough();
  }

  /**
   * Opens the "Get started with SLM Assistant" walkthrough with its steps ticked from the current
   * state. VS Code's walkthrough service starts with the first walkthrough opened, and takes a
   * context key that is already true then as seen without ticking its step; so the keys are false
   * while it opens, and get their values once it has.
   */
  async openWalkthrough(): Promise<void> {
    const done = [...this.contexts].filter(([, value]) => value).map(([key]) => key);
    await Promise.all(done.map((key) => vscode.commands.executeCommand("setContext", key, false)));
    try {
      await vscode.commands.executeCommand("workbench.action.openWalkthrough", WALKTHROUGH_REF, false);
      await new Promise((resolve) => setTimeout(resolve, WALKTHROUGH_SETTLE_MS));
    } finally {
      await Promise.all(done.map((key) => vscode.commands.executeCommand("setContext", key, this.contexts.get(key) ?? false)));
    }
  }

  private setModelReady(state: EngineState): void {
    this.setContext(MODEL_READY_CONTEXT, state.kind === "ready" || state.kind === "busy" || state.kind === "unloaded");
  }

  private setSettingContexts(): void {
    const config = vscode.workspace.getConfiguration(SECTION);
    this.setContext(WalkthroughContext.modelsFolderSet, config.get<string>("modelsDirectory", "").trim() !== "");
    this.setContext(WalkthroughContext.nextEditModelSet, config.get<string>("nextEdit.modelPath", "").trim() !== "");
  }

  private setContext(key: string, value: boolean): void {
    if (this.contexts.get(key) === value) return;
    this.contexts.set(key, value);
    void vscode.commands.executeCommand("setContext", key, value);
  }
}

/** Time for the walkthrough service to register the steps after the walkthrough opened. */
const WALKTHROUGH_SETTLE_MS = 500;

function readConfiguredModels(): ConfiguredModels {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    modelPath: config.get<string>("modelPath", ""),
    completionModelPath: config.get<string>("completion.modelPath", ""),
    chatModelPath: config.get<string>("chat.modelPath", ""),
  };
}
