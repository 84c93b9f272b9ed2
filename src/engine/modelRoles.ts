import * as path from "node:path";
import { looksLikeInstructModel } from "../models/fimFormat";
import type { Lane } from "./types";

export interface RoleFacts {
  readonly name: string;
  readonly file: string;
  /** The header carries a chat template. */
  readonly chatTemplate: boolean;
}

const BASE = /(?:^|[^a-z])base(?:[^a-z]|$)/i;

/**
 * Warnings when a model does not suit the feature it was chosen for: chat wants an instruct model
 * with a chat template. (Completion's needs, FIM tokens and a base model, are judged by the
 * completion pipeline's own FIM detection, which also decides whether it completes at all.)
 */
export function roleWarnings(lanes: readonly Lane[], facts: RoleFacts): string[] {
  if (!lanes.includes("chat")) return [];
  const instruct = looksLikeInstructModel({ name: facts.name, fileName: path.basename(facts.file) });
  const base = BASE.test(facts.name) || BASE.test(path.basename(facts.file));
  if (facts.chatTemplate && (!base || instruct)) return [];
  return [
    `${facts.name} looks like a base model${facts.chatTemplate ? "" : " (its file has no chat template)"}; it continues text rather than answering questions. Choose an instruct model for slm.chat.modelPath (e.g. Qwen2.5-Coder 1.5B Instruct).`,
  ];
}
