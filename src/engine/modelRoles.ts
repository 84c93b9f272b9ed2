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
 * Warnings when a model does not suit the feature it was chosen for: completion wants a base
 * model with FIM tokens; chat wants an instruct model with a chat template.
 */
export function roleWarnings(lanes: readonly Lane[], facts: RoleFacts): string[] {
  const warnings: string[] = [];
  const name = facts.name;
  if (lanes.includes("completion")) {
    if (!facts.fim) {
      warnings.push(
        `${name} has no fill-in-the-middle tokens, so inline completion cannot see the code after the cursor and suggests nothing. Choose a code model with FIM (e.g. Qwen2.5-Coder base) for slm.completion.modelPath.`,
      );
    } else if (looksInstruct(facts)) {
      warnings.push(
        `${name} looks like an instruct (chat) model; base code models usually complete code better. Consider a base model (e.g. Qwen2.5-Coder 1.5B base) for slm.completion.modelPath.`,
      );
    }
  }
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
