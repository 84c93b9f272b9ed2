/**
 * What the status bar, its tooltip and SLM: Show Runtime Info say about features on a team server
 * (pure; no vscode): which server, which model it states, which engine answered, and what failed.
 */
import type { EngineState, Lane, RemoteLaneState } from "../engine/types";
import { formatBytes } from "../util/bytes";
import { plainText, shorten } from "../util/codicons";

const LABEL: Readonly<Record<Lane, string>> = { completion: "Completion", chat: "Chat", nextEdit: "Next edit" };

/** The status bar text when a feature is on a server and something about it needs saying; else undefined. */
export function remoteStatusText(state: EngineState): { text: string; background?: string } | undefined {
  const remote = Object.values(state.remote ?? {});
  if (remote.length === 0) return undefined;
  if (remote.every((lane) => lane.networkOff)) {
    return { text: "$(circle-slash) SLM: server set, network off", background: "statusBarItem.warningBackground" };
  }
  const failing = remote.find((lane) => lane.problem);
  if (failing?.problem) {
    const local = failing.answeredBy === "local" ? "local · " : "";
    return { text: `$(warning) SLM: ${local}${failing.problem.label}`, background: "statusBarItem.warningBackground" };
  }
  if (state.kind !== "ready" && state.kind !== "busy") return undefined;
  const icon = state.kind === "busy" ? "$(sync)" : "$(cloud)";
  // Features on the same server name its model once, even if only one of them has asked it yet.
  const known = new Map(remote.filter((lane) => lane.model).map((lane) => [lane.url, lane.model!.id]));
  const names = remote.filter((lane) => !lane.networkOff).map((lane) => known.get(lane.url) ?? host(lane.url));
  return { text: `${icon} SLM · ${plainText(shorten([...new Set(names)].join(" + "), 32))} · server` };
}

/** Lines for the tooltip and the runtime report, one block per feature on a server. */
export function remoteLines(state: EngineState): string[] {
  const lines: string[] = [];
  for (const [lane, remote] of Object.entries(state.remote ?? {}) as [Lane, RemoteLaneState][]) {
    lines.push(`${LABEL[lane]}: server ${remote.url} (${remote.kind})`);
    if (remote.networkOff) {
      lines.push("  slm.allowNetwork is off: nothing is sent to the server; this feature runs on this machine (if a local model is set).");
      continue;
    }
    const model = remote.model;
    if (model) {
      lines.push(`  Model: ${model.id}${model.file ? ` (file ${model.file})` : ""}`);
      const facts = [
        `context ${model.contextSize} tokens`,
        model.slots ? `${model.slots} slots` : undefined,
        model.parameters ? `${(model.parameters / 1e9).toFixed(2)} B parameters` : undefined,
        model.sizeBytes ? formatBytes(model.sizeBytes) : undefined,
      ].filter(Boolean);
      lines.push(`  ${facts.join(" · ")}`);
      lines.push(`  SHA-256 stated by the server: ${model.sha256 ?? "none (see docs/team-server.md for the alias convention)"}`);
      lines.push(`  Fill-in-the-middle: ${model.fim}`);
    } else {
      lines.push("  Model: not read yet (read when a request first needs it)");
    }
    if (remote.answeredBy) lines.push(`  Last answer: ${remote.answeredBy === "server" ? "the server" : "the local model (slm.engine.fallback: local)"}`);
    if (remote.problem) lines.push(`  ✖ ${remote.problem.message}`);
    else if (remote.fallback) lines.push("  If the server fails, the local model answers (slm.engine.fallback: local).");
  }
  return lines;
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

