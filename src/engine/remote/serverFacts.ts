/**
 * What a server says about the model it serves: name, file, context size, slots, the SHA-256 it
 * states (by the alias convention in docs/team-server.md) and its fill-in-the-middle format.
 * llama-server: `/props` and `/v1/models`, FIM tokens looked up in its vocabulary with `/tokenize`.
 * OpenAI-compatible servers: `/v1/models`; their vocabulary cannot be asked, so the FIM format
 * follows from the model's name.
 */
import { detectFimFormat, FIM_FAMILIES, type FimDetection } from "../../models/fimFormat";
import { FIM_SPELLINGS } from "../../models/fimFamilies";
import type { RemoteModelFacts } from "../types";
import type { ServerConnection } from "./connection";
import { RemoteProblem } from "./problems";

const FACTS_TIMEOUT_MS = 10_000;

export interface ServerModel {
  readonly facts: RemoteModelFacts;
  readonly fim: FimDetection;
}

/** `sha256:<64 hex>` (or `sha256-`, `sha256=`) anywhere in the alias or model id. */
export function statedSha256(name: string): string | undefined {
  return /sha256[:=_-]?([0-9a-f]{64})(?![0-9a-f])/i.exec(name)?.[1]?.toLowerCase();
}

/** `previous`: what was read before; its FIM detection is kept when the server still serves that model file. */
export async function readLlamaServerModel(connection: ServerConnection, fallbackContext: number, previous?: ServerModel, signal?: AbortSignal): Promise<ServerModel> {
  const call = { method: "GET" as const, signal, timeoutMs: FACTS_TIMEOUT_MS };
  const [props, models] = await Promise.all([
    connection.json({ ...call, path: "/props" }),
    connection.json({ ...call, path: "/v1/models" }).catch(() => undefined),
  ]);
  const p = record(props);
  const first = record(array(record(models).data)[0]);
  const meta = record(first.meta);
  const id = str(p.model_alias) ?? str(first.id);
  if (!id) throw new RemoteProblem("noModel", `${connection.label} serves no model (its /props names none).`);
  const file = str(p.model_path);
  const contextSize = num(record(p.default_generation_settings).n_ctx) ?? num(meta.n_ctx) ?? fallbackContext;
  if (previous?.facts.id === id && previous.facts.file === file && previous.facts.contextSize === contextSize) return previous;

  // The vocabulary's FIM, repo and stop tokens, looked up by text like llama.cpp does.
  const candidates = candidateTokens([str(p.bos_token), str(p.eos_token)]);
  const present = new Set<string>();
  await Promise.all(
    candidates.map(async (text) => {
      const answer = record(await connection.json({ method: "POST", path: "/tokenize", body: { content: text, add_special: false, parse_special: true, with_pieces: true }, signal, timeoutMs: FACTS_TIMEOUT_MS }));
      const tokens = array(answer.tokens);
      if (tokens.length === 1 && record(tokens[0]).piece === text) present.add(text);
    }),
  );
  const bos = str(p.bos_token);
  const eos = str(p.eos_token);
  const fim = detectFimFormat({
    name: id,
    fileName: file ? file.split(/[\\/]/).pop() : undefined,
    bos: bos && present.has(bos) ? bos : undefined,
    eos: eos && present.has(eos) ? eos : undefined,
    hasToken: (text) => present.has(text),
  });
  const sha256 = statedSha256(id);
  return {
    fim,
    facts: {
      id,
      ...(file ? { file } : {}),
      contextSize,
      ...(num(meta.n_ctx_train) ? { trainContextSize: num(meta.n_ctx_train) } : {}),
      ...(num(p.total_slots) ? { slots: num(p.total_slots) } : {}),
      ...(num(meta.n_params) ? { parameters: num(meta.n_params) } : {}),
      ...(num(meta.size) ? { sizeBytes: num(meta.size) } : {}),
      ...(sha256 ? { sha256 } : {}),
      fim: fim.format ? fim.format.label : fim.refusal.message,
      chatTemplate: typeof p.chat_template === "string" && p.chat_template.length > 0,
      ...(str(p.build_info) ? { build: str(p.build_info) } : {}),
    },
  };
}

export async function readOpenAiModel(connection: ServerConnection, wanted: string | undefined, fallbackContext: number, signal?: AbortSignal): Promise<ServerModel> {
  const listed = array(record(await connection.json({ method: "GET", path: "/v1/models", signal, timeoutMs: FACTS_TIMEOUT_MS })).data).map(record);
  const entry = wanted ? listed.find((model) => model.id === wanted) : listed[0];
  if (!entry) {
    const names = listed.map((model) => str(model.id)).filter(Boolean).join(", ") || "none";
    throw new RemoteProblem(
      "noModel",
      wanted ? `${connection.label} does not serve the model "${wanted}" (slm.engine.serverModel); it lists: ${names}.` : `${connection.label} lists no model at /v1/models.`,
    );
  }
  const id = str(entry.id) ?? wanted ?? "model";
  const meta = record(entry.meta);
  // vLLM states max_model_len; llama-server's /v1 states meta.n_ctx; others say nothing.
  const contextSize = num(entry.max_model_len) ?? num(meta.n_ctx) ?? fallbackContext;
  const fim = detectFimFormat({ name: id, hasToken: tokensByName(id) });
  const sha256 = statedSha256(id);
  return {
    fim,
    facts: {
      id,
      contextSize,
      ...(sha256 ? { sha256 } : {}),
      fim: fim.format ? `${fim.format.label} (from the model's name)` : fim.refusal.message,
      chatTemplate: true,
    },
  };
}

/** Every token text FIM detection may ask about. */
function candidateTokens(extra: readonly (string | undefined)[]): string[] {
  const texts = new Set<string>();
  for (const spelling of FIM_SPELLINGS) for (const text of [...spelling.prefix, ...spelling.suffix, ...(spelling.middle ?? [])]) texts.add(text);
  for (const family of Object.values(FIM_FAMILIES)) {
    for (const text of [...(family.repoName ?? []), ...(family.fileSeparator ?? []), ...family.stops]) texts.add(text);
  }
  for (const text of extra) if (text) texts.add(text);
  return [...texts];
}

/**
 * Without the vocabulary, a model's token spelling follows from its family's name: a Qwen or
 * StarCoder model has its family's tokens. Only the known code families match.
 */
function tokensByName(id: string): (text: string) => boolean {
  const style: readonly [RegExp, RegExp][] = [
    [/qwen.*coder|coder.*qwen/i, /^<\|(fim_(prefix|suffix|middle|pad)|endoftext|repo_name|file_sep|im_end)\|>$/],
    [/codegemma/i, /^<\|(fim_(prefix|suffix|middle)|file_separator)\|>$|^<(end_of_turn|eos)>$/],
    [/granite/i, /^<(fim_(prefix|suffix|middle|pad)|file_sep|repo_name|filename|reponame)>$|^<\|(endoftext|end_of_text)\|>$/],
    [/starcoder|santacoder/i, /^<(fim_(prefix|suffix|middle|pad)|file_sep|repo_name|filename|reponame)>$|^<\|endoftext\|>$/],
    [/deepseek.*coder/i, /^<\uFF5C.*\uFF5C>$/],
    [/code.?llama/i, /^<(PRE|SUF|MID|EOT)>$/],
    [/codestral/i, /^\[(PREFIX|SUFFIX)\]$/],
  ];
  const match = style.find(([name]) => name.test(id));
  return (text) => match?.[1].test(text) === true;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}
