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
