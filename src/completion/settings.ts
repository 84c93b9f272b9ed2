import type { CompletionSettings, MultilineMode } from "./types";

/** Most suggestions one place cycles through (each costs a generation). */
export const MAX_ALTERNATIVES = 5;

/** How many suggestions to cycle through: the setting, or automatically 1 on the CPU and 3 on a GPU. */
export function alternativesCount(settings: CompletionSettings, onGpu: boolean): number {
  return settings.alternatives ? settings.alternatives : onGpu ? 3 : 1;
}

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
    alternatives: clamp(raw.alternatives, 0, 0, MAX_ALTERNATIVES),
  };
}

function clamp(value: unknown, fallback: number, min: number, max: number): number {
  const number = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, Math.round(number)));
}
