/**
 * Whether a model file suits next-edit suggestions: a next-edit model (Sweep Next-Edit) is known by
 * its name and needs Qwen2.5-Coder's repo-level `<|file_sep|>` token, which its prompt is made of.
 * A plain fill-in-the-middle model has the token too but was never trained to rewrite a window.
 */

export const FILE_SEPARATOR = "<|file_sep|>";

export interface NextEditModelFacts {
  readonly name: string;
  readonly file: string;
  /** The vocabulary has `<|file_sep|>` as one token. */
  readonly fileSeparator: boolean;
  readonly fim: boolean;
}

export type NextEditFit =
  | { readonly kind: "nextEdit" }
  /** Usable, but proposals will be poor; the warning says what to choose instead. */
  | { readonly kind: "warning"; readonly message: string }
  /** Cannot express the prompt at all. */
  | { readonly kind: "unusable"; readonly message: string };

const NEXT_EDIT_NAME = /next[-_ .]?edit/i;

export function isNextEditModelName(name: string, file: string): boolean {
  return NEXT_EDIT_NAME.test(name) || NEXT_EDIT_NAME.test(file.split(/[\\/]/).pop() ?? "");
}

export function nextEditFit(facts: NextEditModelFacts): NextEditFit {
  if (!facts.fileSeparator) {
    return {
      kind: "unusable",
      message: `${facts.name} has no <|file_sep|> token, so it cannot read the next-edit prompt. Choose a next-edit model such as Sweep Next-Edit 0.5B or 1.5B for slm.nextEdit.modelPath.`,
    };
  }
  if (isNextEditModelName(facts.name, facts.file)) return { kind: "nextEdit" };
  const what = facts.fim ? "a fill-in-the-middle completion model" : "not a next-edit model";
  return {
    kind: "warning",
    message: `${facts.name} is ${what}, not trained to predict edits: next-edit proposals will be poor or missing. Choose a next-edit model such as Sweep Next-Edit 0.5B or 1.5B for slm.nextEdit.modelPath.`,
  };
}
