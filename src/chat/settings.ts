/** The `slm.chat.*` settings, validated. Pure: the reader that calls VS Code lives in chatView.ts. */
export interface ChatSettings {
  readonly maxAnswerTokens: number;
  readonly temperature: number;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = { maxAnswerTokens: 1024, temperature: 0.2 };

export const CHAT_LIMITS = {
  maxAnswerTokens: { min: 16, max: 16_384 },
  temperature: { min: 0, max: 2 },
} as const;

export interface RawChatSettings {
  readonly maxAnswerTokens?: unknown;
  readonly temperature?: unknown;
}

/** Clamps each value into range; `notices` says, in the user's words, what was wrong. */
export function resolveChatSettings(raw: RawChatSettings): { settings: ChatSettings; notices: string[] } {
  const notices: string[] = [];
  const number = (value: unknown, name: keyof ChatSettings, integer: boolean): number => {
    const fallback = DEFAULT_CHAT_SETTINGS[name];
    const { min, max } = CHAT_LIMITS[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      notices.push(`slm.chat.${name} must be a number; using ${fallback}.`);
      return fallback;
    }
    const rounded = integer ? Math.round(value) : value;
    const clamped = Math.min(max, Math.max(min, rounded));
    if (clamped !== value) notices.push(`slm.chat.${name} is ${value}; it must be between ${min} and ${max}, so ${clamped} is used.`);
    return clamped;
  };
  return {
    settings: {
      maxAnswerTokens: number(raw.maxAnswerTokens, "maxAnswerTokens", true),
      temperature: number(raw.temperature, "temperature", false),
    },
    notices,
  };
}
