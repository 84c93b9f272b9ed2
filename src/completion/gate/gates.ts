import type { CompletionSettings, DropReason } from "../types";

/** Characters that may stand right of the cursor without stopping an automatic suggestion. */
const CLOSERS = /[)\]}>"'`;,.:\s]/g;

/** Whether completion is on for this language: empty list = all; "!id" switches one off. */
export function languageEnabled(settings: Pick<CompletionSettings, "languages">, languageId: string): boolean {
  const list = settings.languages.map((l) => l.trim()).filter(Boolean);
  if (list.includes(`!${languageId}`)) return false;
  const positive = list.filter((l) => !l.startsWith("!"));
  return positive.length === 0 || positive.includes("*") || positive.includes(languageId);
}

/** Why an automatic request should not run, before any work; undefined when it may. */
export function gateRequest(
  settings: CompletionSettings,
  request: { languageId: string; lineSuffix: string; explicit: boolean },
): DropReason | undefined {
  if (!settings.enabled && !request.explicit) return "disabled";
  if (!languageEnabled(settings, request.languageId) && !request.explicit) return "languageDisabled";
  if (!request.explicit && request.lineSuffix.replace(CLOSERS, "").length > settings.maxLineSuffix) return "textRightOfCursor";
  return undefined;
}

/** Short words for the status bar. */
export function describeDrop(reason: DropReason): string {
  switch (reason) {
    case "disabled":
      return "off";
    case "languageDisabled":
      return "off for this language";
    case "noModel":
      return "no model";
    case "noFim":
      return "model can't fill in code";
    case "binary":
      return "binary file";
    case "textRightOfCursor":
      return "text right of cursor";
    case "cancelled":
      return "cancelled (kept typing)";
    case "timeout":
      return "timed out";
    case "filtered":
      return "filtered (repetition)";
    case "empty":
      return "nothing to suggest";
    case "stale":
      return "document changed";
    case "error":
      return "error";
  }
}
