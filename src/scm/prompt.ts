/** The prompt for a commit message from a staged diff, and cleaning the answer. Pure. */
import type { ChatRequest } from "../engine/api";
import { extractCode } from "../edit/cleanOutput";

export const COMMIT_SYSTEM_PROMPT = [
  "You write git commit messages in the Conventional Commits style.",
  "First line: type(optional scope): summary in the imperative, at most 72 characters; types: feat, fix, refactor, docs, test, chore, perf, style, build, ci.",
  "Then, only if it helps, a blank line and a short body saying what changed and why.",
  "Reply with the commit message only: no Markdown, no quotes, no introduction.",
].join(" ");

/** Tokens kept for the answer: a message is a summary line and a few lines of body. */
export const COMMIT_ANSWER_TOKENS = 200;
/** Tokens the instructions around the diff take, with room to spare. */
export const COMMIT_PROMPT_OVERHEAD_TOKENS = 200;

export function commitRequest(diff: string, leftOut: readonly string[]): ChatRequest {
  const note = leftOut.length > 0 ? `\n\n(${leftOut.length} file(s) were too long to show in full: ${leftOut.join(", ")}.)` : "";
  return {
    history: [],
    system: COMMIT_SYSTEM_PROMPT,
    question: `Write the commit message for these staged changes:\n\n${diff.trim()}${note}`,
    maxAnswerTokens: COMMIT_ANSWER_TOKENS,
    temperature: 0.2,
  };
}

/** The message without fences, a "Commit message:" label or surrounding quotes. */
export function cleanCommitMessage(answer: string): string {
  let text = extractCode(answer).trim();
  text = text.replace(/^(?:suggested )?commit message:\s*/i, "");
  const quoted = /^(["'`])([\s\S]*)\1$/.exec(text);
  if (quoted) text = quoted[2]!.trim();
  return text.replace(/[ \t]+$/gm, "");
}
