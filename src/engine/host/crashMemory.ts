import { fileLabel } from "../../models/problems";
import { resolveEngineSettings, type MachineFacts } from "../settings";
import type { RawEngineSettings } from "../types";

/** Where the model files that crashed the engine are kept (the extension uses its global state). */
export interface CrashedModelStore {
  read(): readonly string[];
  write(files: readonly string[]): void;
}

/**
 * Remembers model files that crashed the engine process while loading, so a file that makes
 * llama.cpp abort is not loaded again at every start (and every window reload) until the user
 * chooses it again or runs Reload Model.
 */
export class CrashMemory {
  constructor(
    private readonly machine: MachineFacts,
    private readonly store?: CrashedModelStore,
  ) {}

  /** The first model file the settings name that crashed the engine before, with the sentence to show. */
  refusal(raw: RawEngineSettings): { readonly file: string; readonly message: string } | undefined {
    const crashed = new Set(this.store?.read() ?? []);
    const file = this.modelFiles(raw).find((candidate) => crashed.has(candidate));
    if (!file) return undefined;
    return {
      file,
      message: `The model file ${fileLabel(file)} crashed the model engine while loading last time, so it is not loaded automatically. Choose another model, or choose it again (or run SLM: Reload Model) to retry.`,
    };
  }

  remember(file: string): void {
    if (this.store && !this.store.read().includes(file)) this.store.write([...this.store.read(), file]);
  }

  /** Forgets the files the settings name (the user asked to load them again). */
  forget(raw: RawEngineSettings): void {
    if (!this.store) return;
    const files = this.modelFiles(raw);
    const kept = this.store.read().filter((file) => !files.includes(file));
    if (kept.length !== this.store.read().length) this.store.write(kept);
  }

  private modelFiles(raw: RawEngineSettings): string[] {
    const { settings } = resolveEngineSettings(raw, this.machine);
    return [...new Set(Object.values(settings.modelPaths).filter((file) => file))];
  }
}
