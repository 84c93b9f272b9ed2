import type { CompletionSettings, MultilineMode } from "./types";

const MULTILINE: readonly MultilineMode[] = ["auto", "always", "never"];

/** The completion settings as typed into settings.json, clamped to sane ranges (pure). */
export function resolveCompletionSettings(raw: { readonly [key: string]: unknown }): CompletionSettings {
  const multiline = raw.multiline;
  return {
    enabled: raw.enabled !== false,
    languages: Array.isArray(raw.languages) ? raw.languages.filter((id): id is string => typeof id === "string") : [],
    multiline: MULTILINE.includes(multiline as MultilineMode) ? (multiline as MultilineMode) : "auto",
    maxTokens: clamp(raw.maxTokens, 64, 1, 512),
    maxTimeMs: clamp(raw.maxTimeMs, 1500, 50, 30_000),
    maxLineSuffix: clamp(raw.maxLineSuffix, 8, 0, 1000),
    debounceMs: clamp(raw.debounceMs, 150, 0, 2000),
  };
}

function clamp(value: unknown, fallback: number, min: number, max: number): number {
  const number = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, Math.round(number)));
}
