import * as vscode from "vscode";
import { readSettings, SECTION } from "./config";
import { checkModelAllowed, parseAllowedHashes } from "./models/modelHash";
import { Disposable } from "./util/dispose";

/**
 * The administrator's model allowlist (slm.allowedModelHashes): checked before every load on
 * every file that loads, with hashes cached in globalState by file identity (device, inode, size,
 * mtime, ctime). A change to the list reloads the model so it applies at once.
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

  /**
   * The engine's checkModel hook: every file a load opens (model, split parts, adapters) must be
   * on the allowlist. Hashing runs on a worker thread with its progress in the status bar, and
   * stops when the load is cancelled. Returns the identities the engine compares after opening.
   */
  readonly check = async (files: readonly string[], signal: AbortSignal): Promise<readonly string[] | undefined> => {
    if (this.allowed.size === 0) return undefined;
    const started = performance.now();
    const hashes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "SLM: checking the model against slm.allowedModelHashes" }, (progress) => {
      let shown = 0;
      const onProgress = (done: number, total: number): void => {
        const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
        if (percent === shown) return;
        progress.report({ message: `${percent}%`, increment: percent - shown });
        shown = percent;
      };
      return checkModelAllowed(files, this.allowed, this.store, signal, { onProgress });
    });
    if (!hashes) return undefined;
    for (const [index, hash] of hashes.entries()) {
      this.log.info(`Allowed by slm.allowedModelHashes: ${files[index]} (SHA-256 ${hash.sha256}, ${hash.cached ? "from the cache" : "hashed"}).`);
    }
    this.log.info(`Allowlist check of ${files.length} file${files.length === 1 ? "" : "s"} took ${Math.round(performance.now() - started)} ms.`);
    return hashes.map((hash) => hash.identity);
  };

  /**
   * For a model on a team server: allowed only when the server states a listed SHA-256 (by the
   * alias convention in docs/team-server.md). Returns why not, or undefined when it may be used.
   */
  readonly refuseRemote = (model: { id: string; sha256?: string }, server: string): string | undefined => {
    if (this.allowed.size === 0) return undefined;
    if (!model.sha256) {
      return `${server} serves "${model.id}" without stating its SHA-256 (name it with --alias <name>@sha256:<hash>), and slm.allowedModelHashes is set: it is not used.`;
    }
    if (!this.allowed.has(model.sha256)) {
      return `${server} serves "${model.id}" with SHA-256 ${model.sha256}, which is not in slm.allowedModelHashes: it is not used.`;
    }
    this.log.info(`Server model allowed by slm.allowedModelHashes: ${server} states SHA-256 ${model.sha256} for "${model.id}".`);
    return undefined;
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
