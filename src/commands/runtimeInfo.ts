import { threadsLabel } from "../engine/cpuLoad";
import { formatBytes } from "../util/bytes";
import type { EngineState, Lane, ModelSummary } from "../engine/types";
import { remoteLines } from "../ui/remoteText";
import { escapeInline, literal } from "../util/markdown";

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

function networkLine(facts: RuntimeFacts): string {
  const servers = Object.values(facts.state.remote ?? {});
  if (!facts.allowNetwork) return servers.length > 0 ? "off (a server is configured in slm.engine.server, but nothing is sent to it)" : "off";
  if (servers.length > 0) return `allowed (slm.allowNetwork is on): requests go to ${[...new Set(servers.map((s) => literal(s.url)))].join(", ")}, and downloads you start`;
  return "allowed (slm.allowNetwork is on; used only for downloads you start)";
}

const LANE_LABELS: Readonly<Record<Lane, string>> = { completion: "completion", chat: "chat", nextEdit: "next edit" };

/**
 * What runs, in lines an auditor can copy: model file, hash, backend, threads, context, network.
 * Markdown, rendered by VS Code: names and paths from files or servers go in as literal text.
 */
export function runtimeReport(facts: RuntimeFacts): string {
  const { state, models } = facts;
  const lines = ["# SLM Assistant: what is running", ""];
  if (models.length === 0) {
    lines.push(
      `- Model file: ${state.modelPath ? literal(state.modelPath) : "none (slm.modelPath is empty)"}`,
      "- Model: not loaded",
      `- SHA-256: ${escapeInline(facts.sha256)}`,
    );
  }
  for (const model of models) {
    const prefix = models.length > 1 || model.lanes.length < 2 ? ` (${model.lanes.map((lane) => LANE_LABELS[lane]).join(" and ")})` : "";
    lines.push(
      `- Model file${prefix}: ${literal(model.summary.path)}`,
      `- Model${prefix}: ${literal(model.summary.name)} (${literal(model.summary.architecture)}, ${formatBytes(model.summary.sizeBytes)})`,
      `- SHA-256${prefix}: ${escapeInline(model.sha256)}`,
    );
  }
  lines.push(
    `- State: ${state.kind}${state.error ? `: ${literal(state.error.message)}` : ""}`,
    `- Backend: ${state.gpu ?? "not started"}${state.gpuLayers ? ` (${state.gpuLayers} layers on the GPU)` : ""}${state.backendNote ? `. ${state.backendNote}` : ""}`,
    `- Threads: ${state.threads === undefined ? "not set" : threadsLabel(state)}`,
    `- Context size: ${state.contextSize !== undefined ? `${state.contextSize} tokens per lane` : "no context"}`,
    `- Flash attention: ${state.flashAttention === undefined ? "not set" : state.flashAttention ? "on" : "off"}`,
    `- LoRA adapters: ${state.loraAdapters?.length ? state.loraAdapters.map((adapter) => `${literal(adapter.path)} (scale ${adapter.scale})`).join(", ") : "none"}`,
    `- Allowed models: ${facts.allowlistSize === 0 ? "any (slm.allowedModelHashes is empty)" : `${facts.allowlistSize} hash(es) in slm.allowedModelHashes`}`,
    `- network: ${networkLine(facts)}`,
  );
  const remote = remoteLines(state);
  if (remote.length > 0) lines.push("", "## Team server", "", ...remote.map((line) => (line.startsWith("  ") ? `  - ${escapeInline(line.trim())}` : `- ${escapeInline(line)}`)));
  return `${lines.join("\n")}\n`;
}
