import * as path from "node:path";
import type { Lane } from "./types";

export interface RoleFacts {
  readonly name: string;
  readonly file: string;
  /** The vocabulary has fill-in-the-middle tokens. */
  readonly fim: boolean;
  /** The header carries a chat template. */
  readonly chatTemplate: boolean;
}

const INSTRUCT = /(?:^|[^a-z])(?:instruct|chat|it)(?:[^a-z]|$)/i;
const BASE = /(?:^|[^a-z])base(?:[^a-z]|$)/i;

export function looksInstruct(facts: RoleFacts): boolean {
  return INSTRUCT.test(facts.name) || INSTRUCT.test(path.basename(facts.file).replace(/\.gguf$/i, ""));
}

/**
 * Warnings when a model does not suit the feature it was chosen for: chat wants an instruct model
 * with a chat template. (Completion's needs, FIM tokens and a base model, are judged by the
 * completion pipeline's own FIM detection, which also decides whether it completes at all.)
 */
export function roleWarnings(lanes: readonly Lane[], facts: RoleFacts): string[] {
  const warnings: string[] = [];
  const name = facts.name;
  if (lanes.includes("chat")) {
    const base = BASE.test(name) || BASE.test(path.basename(facts.file));
    if (!facts.chatTemplate || (base && !looksInstruct(facts))) {
      warnings.push(
        `${name} looks like a base model${facts.chatTemplate ? "" : " (its file has no chat template)"}; it continues text rather than answering questions. Choose an instruct model for slm.chat.modelPath (e.g. Qwen2.5-Coder 1.5B Instruct).`,
      );
    }
  }
  return warnings;
}
