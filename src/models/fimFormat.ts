/**
 * Fill-in-the-middle: finds a model's FIM format (tokens, layouts, stops) from plain data read
 * out of its GGUF, or says in the user's words why the model cannot fill in the middle.
 */
import {
  FIM_FAMILIES, FIM_SPELLINGS, familyForSpelling,
  type FimFamily, type FimFamilyId, type FimLayout, type FimSpelling, type RepoContextStyle,
} from "./fimFamilies";

export type { FimFamilyId, FimLayout, RepoContextStyle } from "./fimFamilies";
export { FIM_FAMILIES } from "./fimFamilies";

/** What `detectFimFormat` needs to know about a model; all of it is plain data from the GGUF. */
export interface FimModelInfo {
  /** `general.architecture`. */
  readonly architecture?: string;
  /** `general.name`. */
  readonly name?: string;
  /** `general.finetune` (e.g. "Instruct"), when present. */
  readonly finetune?: string;
  /** `general.size_label` (e.g. "7B"), when present. */
  readonly sizeLabel?: string;
  /** The GGUF's file name; read for the same hints as `name`. */
  readonly fileName?: string;
  /** Texts of the tokens whose ids the GGUF names (`tokenizer.ggml.fim_pre_token_id` and friends). */
  readonly fimPre?: string;
  readonly fimSuf?: string;
  readonly fimMid?: string;
  readonly fimPad?: string;
  readonly fimRep?: string;
  readonly fimSep?: string;
  readonly bos?: string;
  readonly eos?: string;
  readonly eot?: string;
  /** Whether the tokenizer wants BOS first (`tokenizer.ggml.add_bos_token`); the family's default otherwise. */
  readonly addBos?: boolean;
  /** Whether the vocabulary has a token with exactly this text. */
  readonly hasToken: (text: string) => boolean;
}

export interface FimTokens {
  readonly prefix: string;
  readonly suffix: string;
  /** Absent for suffix-first formats without a middle token (Codestral). */
  readonly middle?: string;
  readonly repoName?: string;
  readonly fileSeparator?: string;
  /** The BOS token's text, when the prompt should start with it. */
  readonly bos?: string;
}

export interface FimFormat {
  readonly family: FimFamilyId;
  readonly label: string;
  /** Token texts exactly as this model's vocabulary spells them. */
  readonly tokens: FimTokens;
  /** Texts of the tokens that end a completion, present in this vocabulary. */
  readonly stopTokens: readonly string[];
  readonly trainedLayouts: readonly FimLayout[];
  /** The layout `buildFimPrompt` uses unless told otherwise: one the family was trained with. */
  readonly defaultLayout: FimLayout;
  /** The layouts this format can express at all (no PSM without a middle token). */
  readonly buildableLayouts: readonly FimLayout[];
  /** Repo style actually usable with this vocabulary (falls back to comments when tokens are missing). */
  readonly repoStyle: RepoContextStyle;
  readonly prefixKeepsLeadingSpace: boolean;
  /** Where the tokens were found. */
  readonly source: "metadata" | "tokenText";
  /** Something the user should know although the format works (e.g. FIM training undocumented). */
  readonly caution?: string;
  readonly evidence: string;
}

export type FimRefusalCode = "noFimTokens" | "instructModel" | "notInfillTrained";

export interface FimRefusal {
  readonly code: FimRefusalCode;
  /** A sentence for the user. */
  readonly message: string;
}

export type FimDetection =
  | { readonly format: FimFormat; readonly refusal?: undefined }
  | { readonly format?: undefined; readonly refusal: FimRefusal };

/** Name words that mark chat/instruction-tuned models, which answer FIM prompts with garbage. */
const INSTRUCT_NAME = /(?:^|[\s_.\-/()[\]])(instruct|chat|it)(?=$|[\s_.\-/()[\]])/i;

export function looksLikeInstructModel(info: Pick<FimModelInfo, "name" | "fileName" | "finetune">): boolean {
  return instructEvidence(info) !== undefined;
}

/**
 * Where the instruct/chat word was found, in the user's words ("its file name chat-model.gguf says
 * chat"): the displayed name may not show it, so the message must say which text did.
 */
export function instructEvidence(info: Pick<FimModelInfo, "name" | "fileName" | "finetune">): string | undefined {
  const places: ReadonlyArray<readonly [string, string | undefined]> = [
    ["its name", info.name],
    ["its file name", info.fileName],
    ["its fine-tune tag", info.finetune],
  ];
  for (const [place, text] of places) {
    const match = text === undefined ? null : INSTRUCT_NAME.exec(text.replace(/\.gguf$/i, ""));
    if (match) return place === "its name" ? `its name says "${match[1]}"` : `${place} "${text}" says "${match[1]}"`;
  }
  return undefined;
}

/**
 * Finds the model's FIM format. Uses the token ids the GGUF names when it names them, else looks
 * the known spellings up by text (llama.cpp does the same when the metadata keys are absent).
 */
export function detectFimFormat(info: FimModelInfo): FimDetection {
  const names = [info.name, info.fileName, info.sizeLabel].filter((s) => s !== undefined).join(" ");
  const found = findFimTokens(info);
  if (found === undefined) {
    const instruct = looksLikeInstructModel(info) ? " It also looks like an instruct/chat model." : "";
    return refuse("noFimTokens", `${modelLabel(info)} has no fill-in-the-middle tokens, so it cannot complete code between a prefix and a suffix.${instruct} Choose a base code model such as Qwen2.5-Coder (not -Instruct).`);
  }
  const instruct = instructEvidence(info);
  if (instruct) {
    return refuse("instructModel", `${modelLabel(info)} looks like an instruct/chat model (${instruct}). Such models answer fill-in-the-middle prompts with garbage; use the base model of the same family for completion.`);
  }
  const family = FIM_FAMILIES[found.spelling === undefined ? "generic" : familyForSpelling(found.spelling.id, names, info.hasToken)];
  if (family.notInfillTrained?.test(names)) {
    return refuse("notInfillTrained", `${modelLabel(info)} has ${family.label} fill-in-the-middle tokens, but this model was not trained to fill in the middle. Choose a ${family.label} base model that was.`);
  }
  return { format: formatFor(family, found, info, names) };
}

interface FoundTokens {
  readonly spelling?: FimSpelling;
  readonly prefix: string;
  readonly suffix: string;
  readonly middle?: string;
  readonly source: "metadata" | "tokenText";
}

function findFimTokens(info: FimModelInfo): FoundTokens | undefined {
  if (info.fimPre !== undefined && info.fimSuf !== undefined) {
    const spelling = FIM_SPELLINGS.find((s) => s.prefix.includes(info.fimPre!) && s.suffix.includes(info.fimSuf!));
    return { spelling, prefix: info.fimPre, suffix: info.fimSuf, middle: info.fimMid, source: "metadata" };
  }
  for (const spelling of FIM_SPELLINGS) {
    const prefix = spelling.prefix.find(info.hasToken);
    const suffix = spelling.suffix.find(info.hasToken);
    const middle = spelling.middle?.find(info.hasToken);
    if (prefix !== undefined && suffix !== undefined && (spelling.middle === undefined || middle !== undefined)) {
      return { spelling, prefix, suffix, middle, source: "tokenText" };
    }
  }
  return undefined;
}

function formatFor(family: FimFamily, found: FoundTokens, info: FimModelInfo, names: string): FimFormat {
  const has = (text: string | undefined): text is string => text !== undefined && (info.hasToken(text) || isNamedToken(info, text));
  const repoName = info.fimRep ?? family.repoName?.find(has);
  const fileSeparator = info.fimSep ?? family.fileSeparator?.find(has);
  const repoStyle: RepoContextStyle = family.repoStyle !== "comment" && repoName !== undefined && fileSeparator !== undefined
    ? family.repoStyle
    : "comment";
  const addBos = info.addBos ?? family.addBos;
  const stopTokens = unique([
    info.eos, info.eot, info.fimPad, info.fimRep, info.fimSep,
    ...family.stops,
  ].filter(has));
  const buildableLayouts: FimLayout[] = found.middle === undefined ? ["spm"] : ["psm", "spm"];
  const trainedLayouts = family.trainedLayouts.filter((l) => buildableLayouts.includes(l));
  const caution = family.cautionPattern !== undefined
    && family.cautionPattern.matches.test(names) && !family.cautionPattern.unless.test(names)
    ? family.cautionPattern.message
    : undefined;
  return {
    family: family.id,
    label: family.id === "generic" ? `${found.prefix}/${found.suffix} (${family.label})` : family.label,
    tokens: {
      prefix: found.prefix,
      suffix: found.suffix,
      ...(found.middle !== undefined ? { middle: found.middle } : {}),
      ...(repoStyle !== "comment" ? { repoName, fileSeparator } : {}),
      ...(addBos && info.bos !== undefined ? { bos: info.bos } : {}),
    },
    stopTokens,
    trainedLayouts: trainedLayouts.length > 0 ? trainedLayouts : buildableLayouts,
    defaultLayout: buildableLayouts.includes(family.defaultLayout) ? family.defaultLayout : buildableLayouts[0]!,
    buildableLayouts,
    repoStyle,
    prefixKeepsLeadingSpace: family.prefixKeepsLeadingSpace,
    source: found.source,
    ...(caution !== undefined ? { caution } : {}),
    evidence: family.evidence,
  };
}

function isNamedToken(info: FimModelInfo, text: string): boolean {
  return [info.fimPre, info.fimSuf, info.fimMid, info.fimPad, info.fimRep, info.fimSep, info.eos, info.eot].includes(text);
}

function refuse(code: FimRefusalCode, message: string): FimDetection {
  return { refusal: { code, message } };
}

function modelLabel(info: FimModelInfo): string {
  const name = info.name?.trim() || info.fileName;
  return name ? `The model "${name}"` : "This model";
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
