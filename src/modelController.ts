import * as vscode from "vscode";
import { LocalModelEngine } from "./engine/engine";
import type { EngineState } from "./engine/types";
import { SECTION, readEngineSettings, readIdleUnloadMs, sameSettings } from "./config";
import { Commands } from "./commands/ids";
import { Disposable } from "./util/dispose";

export const CHOOSE_ANOTHER_MODEL = "Choose Another Model…";
export const SHOW_LOG = "Show Log";
export const OPEN_SETTINGS = "Open Settings";

/**
 * Connects the engine to VS Code: feeds it settings (live), shows loading progress, and tells the
 * user about errors and adjusted settings, each once, with the action that fixes it.
 */
export class ModelController extends Disposable {
  private lastSettings = readEngineSettings();
  private progress?: { resolve: () => void; report: (percent: number) => void; reported: number };
  private shownError?: string;
  private shownNotices = new Set<string>();

  constructor(
    private readonly engine: LocalModelEngine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(SECTION)) return;
        if (event.affectsConfiguration(`${SECTION}.unloadAfterMinutes`)) this.engine.setIdleUnload(readIdleUnloadMs());
        const next = readEngineSettings();
        if (sameSettings(next, this.lastSettings)) return;
        this.lastSettings = next;
        this.log.info("Settings changed; applying them.");
        void this.engine.configure(next);
      }),
    );
    this._register(engine.onDidChangeState((state) => this.onState(state)));
    this._register({ dispose: () => this.endProgress() });
  }

  /** First load, after activation has returned. */
  start(): Promise<void> {
    this.engine.setIdleUnload(readIdleUnloadMs());
    return this.engine.configure(this.lastSettings);
  }

  private onState(state: EngineState): void {
    if (state.kind === "loading") this.showProgress(state);
    else this.endProgress();

    if (state.kind === "error" && state.error) {
      const key = `${state.modelPath}|${state.error.message}`;
      if (key !== this.shownError) {
        this.shownError = key;
        void this.showError(state.error.message);
      }
    } else if (state.kind !== "loading") {
      this.shownError = undefined;
    }
    for (const notice of state.notices) {
      if (this.shownNotices.has(notice)) continue;
      this.shownNotices.add(notice);
      void vscode.window.showWarningMessage(`SLM Assistant: ${notice}`, OPEN_SETTINGS).then((choice) => {
        if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand(Commands.openSettings);
      });
    }
  }

  private async showError(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(`SLM Assistant: ${message}`, CHOOSE_ANOTHER_MODEL, SHOW_LOG);
    if (choice === CHOOSE_ANOTHER_MODEL) await vscode.commands.executeCommand(Commands.selectModel);
    else if (choice === SHOW_LOG) this.log.show(true);
  }

  private showProgress(state: EngineState): void {
    const percent = Math.round((state.progress ?? 0) * 100);
    if (this.progress) {
      this.progress.report(percent);
      return;
    }
    const name = state.modelPath ? state.modelPath.split(/[\\/]/).pop() : "model";
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `SLM: loading ${name}` },
      (progress) =>
        new Promise<void>((resolve) => {
          const entry = {
            resolve,
            reported: 0,
            report: (value: number) => {
              if (value <= entry.reported) return;
              progress.report({ increment: value - entry.reported, message: `${value}%` });
              entry.reported = value;
            },
          };
          this.progress = entry;
          entry.report(percent);
        }),
    );
  }

  private endProgress(): void {
    this.progress?.resolve();
    this.progress = undefined;
  }
}
