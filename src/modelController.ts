import * as vscode from "vscode";
import type { Engine } from "./engine/api";
import { LANES, type EngineError, type EngineState, type Lane } from "./engine/types";
import { ignoredWorkspaceSettings, SECTION, readSettings, sameSettings } from "./config";
import { Commands } from "./commands/ids";
import { Disposable } from "./util/dispose";

export const CHOOSE_ANOTHER_MODEL = "Choose Another Model…";
export const SHOW_LOG = "Show Log";
export const OPEN_SETTINGS = "Open Settings";
/** The button that applies the fit check's offer. */
export const useContextLabel = (contextSize: number): string => `Use a ${contextSize}-Token Context`;

/**
 * Connects the engine to VS Code: feeds it settings (live), shows loading progress, and tells the
 * user about errors and adjusted settings, each once, with the action that fixes it.
 */
export class ModelController extends Disposable {
  private lastSettings = readSettings().engine;
  private progress?: { resolve: () => void; report: (percent: number) => void; reported: number };
  private shownErrors = new Set<string>();
  private shownNotices = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(SECTION)) return;
        if (event.affectsConfiguration(`${SECTION}.unloadAfterMinutes`)) this.engine.setIdleUnload(readSettings().idleUnloadMs);
        if (event.affectsConfiguration(`${SECTION}.engine.host`)) void this.offerReload();
        void this.notePathSettings();
        const next = readSettings().engine;
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
    this.engine.setIdleUnload(readSettings().idleUnloadMs);
    void this.notePathSettings();
    return this.engine.configure(this.lastSettings);
  }

  /** Path settings a workspace tried to set (ignored) and network paths refused: in the log, each once. */
  private async notePathSettings(): Promise<void> {
    const ignored = await ignoredWorkspaceSettings().catch(() => []);
    const notes = [
      ...(ignored.length > 0 ? [`This workspace's settings set ${ignored.join(", ")}; they are ignored: which model and adapters load is chosen in your user settings only (a cloned folder must not choose the files this extension runs).`] : []),
      ...readSettings().pathNotices,
    ];
    for (const note of notes) {
      if (this.shownNotices.has(note)) continue;
      this.shownNotices.add(note);
      this.log.warn(note);
    }
  }

  /** Where the model runs is chosen at activation: moving it needs a fresh extension host. */
  private async offerReload(): Promise<void> {
    const reload = "Reload Window";
    const choice = await vscode.window.showInformationMessage("SLM Assistant: slm.engine.host takes effect after reloading the window.", reload);
    if (choice === reload) await vscode.commands.executeCommand("workbench.action.reloadWindow");
  }

  private onState(state: EngineState): void {
    if (state.kind === "loading") this.showProgress(state);
    else this.endProgress();

    // Each error once: a load that fails the same way again (e.g. after a settings change) stays quiet.
    if (state.kind !== "loading") {
      const errors: { key: string; error: EngineError; lane?: Lane }[] = [];
      if (state.kind === "error" && state.error) errors.push({ key: `${state.modelPath}|${state.error.message}`, error: state.error });
      for (const lane of LANES) {
        const error = state.laneErrors?.[lane];
        if (error) errors.push({ key: `${lane}|${error.message}`, error, lane });
      }
      for (const { key, error, lane } of errors) if (!this.shownErrors.has(key)) void this.showError(error, lane);
      this.shownErrors = new Set(errors.map(({ key }) => key));
    }
    for (const notice of state.notices) {
      if (this.shownNotices.has(notice)) continue;
      this.shownNotices.add(notice);
      void vscode.window.showWarningMessage(`SLM Assistant: ${notice}`, OPEN_SETTINGS).then((choice) => {
        if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand(Commands.openSettings);
      });
    }
  }

  /** `lane`: only that feature's model failed; "Choose Another Model…" then picks one for it. */
  private async showError(error: EngineError, lane?: Lane): Promise<void> {
    const smaller = error.suggestedContextSize;
    const useSmaller = smaller !== undefined ? useContextLabel(smaller) : undefined;
    const actions = useSmaller ? [useSmaller, CHOOSE_ANOTHER_MODEL, SHOW_LOG] : [CHOOSE_ANOTHER_MODEL, SHOW_LOG];
    const choice = await vscode.window.showErrorMessage(`SLM Assistant: ${error.message}`, ...actions);
    const select = lane === "chat" ? Commands.selectChatModel : lane === "completion" ? Commands.selectCompletionModel : Commands.selectModel;
    if (choice === CHOOSE_ANOTHER_MODEL) await vscode.commands.executeCommand(select);
    else if (choice === SHOW_LOG) this.log.show(true);
    else if (choice === useSmaller && smaller !== undefined) {
      this.log.info(`Setting slm.contextSize to ${smaller}, the largest context that fits in free memory.`);
      await vscode.workspace.getConfiguration(SECTION).update("contextSize", smaller, vscode.ConfigurationTarget.Global);
    }
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
