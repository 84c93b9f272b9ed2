import { formatBytes } from "../engine/problems";
import type { EngineState, ModelSummary } from "../engine/types";

export interface RuntimeFacts {
  readonly state: EngineState;
  readonly summary?: ModelSummary;
  /** SHA-256 of the model file, or why it is not known. */
  readonly sha256: string;
  readonly allowNetwork: boolean;
  readonly allowlistSize: number;
}

/** What runs, in lines an auditor can copy: model file, hash, backend, threads, context, network. */
export function runtimeReport(facts: RuntimeFacts): string {
  const { state, summary } = facts;
  const lines = [
    "# SLM Assistant: what is running",
    "",
    `- Model file: ${state.modelPath ?? "none (slm.modelPath is empty)"}`,
    `- Model: ${summary ? `${summary.name} (${summary.architecture}, ${formatBytes(summary.sizeBytes)})` : "not loaded"}`,
    `- SHA-256: ${facts.sha256}`,
    `- State: ${state.kind}${state.error ? ` (${state.error.message})` : ""}`,
    `- Backend: ${state.gpu ?? "not started"}`,
    `- Threads: ${state.threads ?? "not set"}`,
    `- Context size: ${state.contextSize !== undefined ? `${state.contextSize} tokens per lane` : "no context"}`,
    `- Flash attention: ${state.flashAttention === undefined ? "not set" : state.flashAttention ? "on" : "off"}`,
    `- Allowed models: ${facts.allowlistSize === 0 ? "any (slm.allowedModelHashes is empty)" : `${facts.allowlistSize} hash(es) in slm.allowedModelHashes`}`,
    `- network: ${facts.allowNetwork ? "allowed (slm.allowNetwork is on; used only for downloads you start)" : "off"}`,
  ];
  return `${lines.join("\n")}\n`;
}
