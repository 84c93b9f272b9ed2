import * as vscode from "vscode";
import { readSettings, SECTION } from "./config";
import { checkModelAllowed, parseAllowedHashes } from "./models/modelHash";
import { Disposable } from "./util/dispose";

/**
 * The administrator's model allowlist (slm.allowedModelHashes): checked before every load, with
 * hashes cached in globalState by path+size+mtime. A change to the list reloads the model so it
 * applies at once.
 */
export class ModelPolicy extends Disposable {
  private allowed: ReadonlySet<string> = new Set();
  private snapshot = "";

  constructor(
    private readonly store: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    onChange: () => void,
  ) {
    super();
    this.read();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration(`${SECTION}.allowedModelHashes`)) return;
        if (this.read()) onChange();
      }),
    );
  }

  get allowlistSize(): number {
    return this.allowed.size;
  }

  /** For LocalModelEngine's checkModel hook. */
  readonly check = async (file: string, signal: AbortSignal): Promise<void> => {
    if (this.allowed.size === 0) return;
    const started = performance.now();
    const hash = await checkModelAllowed(file, this.allowed, this.store, signal);
    if (hash) this.log.info(`Model allowed by slm.allowedModelHashes: SHA-256 ${hash.sha256} (${hash.cached ? "cached" : `hashed in ${Math.round(performance.now() - started)} ms`}).`);
  };

  /** Reads the setting; true when it changed. */
  private read(): boolean {
    const { hashes, notices } = parseAllowedHashes([...readSettings().allowedModelHashes]);
    const snapshot = [...hashes].sort().join(",");
    for (const notice of notices) {
      this.log.warn(notice);
      void vscode.window.showWarningMessage(`SLM Assistant: ${notice}`);
    }
    const changed = snapshot !== this.snapshot;
    this.snapshot = snapshot;
    this.allowed = hashes;
    return changed;
  }
}
