import { DEFAULT_NEXT_EDIT_SETTINGS, type NextEditSettings } from "./predictor";

/** The next-edit settings as typed into settings.json, clamped to sane ranges (pure). */
export function resolveNextEditSettings(raw: { readonly [key: string]: unknown }): NextEditSettings {
  return {
    enabled: raw.enabled !== false,
    pauseMs: clamp(raw.pauseMs, DEFAULT_NEXT_EDIT_SETTINGS.pauseMs, 100, 10_000),
    maxTokens: DEFAULT_NEXT_EDIT_SETTINGS.maxTokens,
    maxTimeMs: clamp(raw.maxTimeMs, DEFAULT_NEXT_EDIT_SETTINGS.maxTimeMs, 1_000, 60_000),
  };
}

function clamp(value: unknown, fallback: number, min: number, max: number): number {
  const number = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, Math.round(number)));
}
