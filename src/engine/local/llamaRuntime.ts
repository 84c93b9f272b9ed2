/**
 * The one place that loads node-llama-cpp. It is ESM-only and carries a native binary, so it is
 * never bundled: a real dynamic import() at first use keeps activation fast and lets the
 * package ship as is inside the VSIX.
 */
import type * as NodeLlamaCpp from "node-llama-cpp" with { "resolution-mode": "import" };

export type LlamaModule = typeof NodeLlamaCpp;
export type Llama = NodeLlamaCpp.Llama;
export type LlamaModel = NodeLlamaCpp.LlamaModel;
export type LlamaContext = NodeLlamaCpp.LlamaContext;
export type LlamaContextSequence = NodeLlamaCpp.LlamaContextSequence;
export type Token = NodeLlamaCpp.Token;
export type GgufFileInfo = NodeLlamaCpp.GgufFileInfo;

let modulePromise: Promise<LlamaModule> | undefined;

export function importLlamaModule(): Promise<LlamaModule> {
  // Written as a plain import() so tsc (module node16) and esbuild keep it a real ESM import.
  modulePromise ??= import("node-llama-cpp");
  return modulePromise;
}

export type LlamaLogListener = (level: string, message: string) => void;
export type GpuChoice = false | "auto" | "cuda" | "vulkan" | "metal";

const logListeners = new Set<LlamaLogListener>();
const sharedLlamas = new Map<string, Promise<Llama>>();

/**
 * llama.cpp's backend and log callback are process-wide, so each backend choice gets one shared
 * Llama instance for the life of the process: disposing one while another is in use breaks the
 * other, and a second instance steals the first one's log lines.
 */
export function getSharedLlama(gpu: GpuChoice): Promise<Llama> {
  const key = String(gpu);
  let llama = sharedLlamas.get(key);
  if (!llama) {
    llama = importLlamaModule().then((module) =>
      module.getLlama({
        gpu,
        build: "never",
        logLevel: module.LlamaLogLevel.warn,
        logger: (level, message) => {
          for (const listener of logListeners) listener(level, message);
        },
      }),
    );
    sharedLlamas.set(key, llama);
    llama.catch(() => sharedLlamas.delete(key));
  }
  return llama;
}

export function onLlamaLog(listener: LlamaLogListener): { dispose(): void } {
  logListeners.add(listener);
  return { dispose: () => logListeners.delete(listener) };
}

/** For deactivation: frees every backend this process started. */
export async function disposeSharedLlamas(): Promise<void> {
  const all = [...sharedLlamas.values()];
  sharedLlamas.clear();
  // node-llama-cpp 3.22 can wait forever in dispose() after a failed loadModel: never block on it.
  const disposed = Promise.all(all.map((llama) => llama.then((instance) => instance.dispose()).catch(() => undefined)));
  await Promise.race([disposed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
}
