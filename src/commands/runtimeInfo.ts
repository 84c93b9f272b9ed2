import { threadsLabel } from "../engine/cpuLoad";
import { formatBytes } from "../util/bytes";
import type { EngineState, Lane, ModelSummary } from "../engine/types";

export interface RuntimeModel {
  readonly lanes: readonly Lane[];
  readonly summary: ModelSummary;
  /** SHA-256 of the model file, or why it is not known. */
  readonly sha256: string;
}

export interface RuntimeFacts {
  readonly state: EngineState;
  /** Each loaded model; one when completion and chat run on the same file. */
  readonly models: readonly RuntimeModel[];
  /** SHA-256 of state.modelPath when nothing is loaded (e.g. after a failed load), or why it is not known. */
  readonly sha256: string;
  readonly allowNetwork: boolean;
  readonly allowlistSize: number;
}

const LANE_LABELS: Readonly<Record<Lane, string>> = { completion: "completion", chat: "chat" };

/** What runs, in lines an auditor can copy: model file, hash, backend, threads, context, network. */
export function runtimeReport(facts: RuntimeFacts): string {
  const { state, models } = facts;
  const lines = ["# SLM Assistant: what is running", ""];
  if (models.length === 0) {
    lines.push(
      `- Model file: ${state.modelPath ?? "none (slm.modelPath is empty)"}`,
      "- Model: not loaded",
      `- SHA-256: ${facts.sha256}`,
    );
  }
  for (const model of models) {
    const prefix = models.length > 1 || model.lanes.length < 2 ? ` (${model.lanes.map((lane) => LANE_LABELS[lane]).join(" and ")})` : "";
    lines.push(
      `- Model file${prefix}: ${model.summary.path}`,
      `- Model${prefix}: ${model.summary.name} (${model.summary.architecture}, ${formatBytes(model.summary.sizeBytes)})`,
      `- SHA-256${prefix}: ${model.sha256}`,
    );
  }
  lines.push(
    `- State: ${state.kind}${state.error ? ` (${state.error.message})` : ""}`,
    `- Backend: ${state.gpu ?? "not started"}${state.gpuLayers ? ` (${state.gpuLayers} layers on the GPU)` : ""}${state.backendNote ? `. ${state.backendNote}` : ""}`,
    `- Threads: ${state.threads === undefined ? "not set" : threadsLabel(state)}`,
    `- Context size: ${state.contextSize !== undefined ? `${state.contextSize} tokens per lane` : "no context"}`,
    `- Flash attention: ${state.flashAttention === undefined ? "not set" : state.flashAttention ? "on" : "off"}`,
    `- LoRA adapters: ${state.loraAdapters?.length ? state.loraAdapters.map((adapter) => `${adapter.path} (scale ${adapter.scale})`).join(", ") : "none"}`,
    `- Allowed models: ${facts.allowlistSize === 0 ? "any (slm.allowedModelHashes is empty)" : `${facts.allowlistSize} hash(es) in slm.allowedModelHashes`}`,
    `- network: ${facts.allowNetwork ? "allowed (slm.allowNetwork is on; used only for downloads you start)" : "off"}`,
  );
  return `${lines.join("\n")}\n`;
}
