import * as path from "node:path";
import { describeModelInfo } from "../models/modelInfo";
import { isNextEditModelName } from "../models/nextEditModel";
import { fileLabel } from "../models/problems";
import type { ScanResult } from "../models/modelScan";
import { plainText } from "../util/codicons";

/** A quick-pick row (structurally a vscode.QuickPickItem) and what choosing it does. */
export interface ModelPick {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
  readonly action: { readonly kind: "use"; readonly path: string } | { readonly kind: "browse" } | { readonly kind: "none" };
}

export const BROWSE_LABEL = "$(folder-opened) Browse…";

/** The row already names the file: its reason reads better (and fits the row) without the full path. */
function withoutPath(message: string, file: string): string {
  const quoted = fileLabel(file);
  return message.replace(`The model file ${quoted}`, "The file").replace(quoted, "This file");
}

/**
 * The rows of the model picker: each model in the folder with what its header says (the one in use
 * marked), files that are not usable with the reason, then Browse…. No `vscode` here, so it is unit-tested.
 */
export function modelPicks(scan: ScanResult, folder: string, currentPath: string): ModelPick[] {
  const picks: ModelPick[] = [];
  for (const model of scan.models) {
    const relative = path.relative(folder, model.path) || model.fileName;
    const inUse = currentPath !== "" && path.resolve(currentPath) === path.resolve(model.path);
    picks.push({
      label: `${inUse ? "$(check) " : ""}${plainText(model.name)}`,
      description: plainText(relative),
      detail: model.cutShort
        ? `$(warning) Cut short: the file is smaller than its header says (an unfinished download?). ${describeModelInfo(model)}`
        : `${describeModelInfo(model)}${model.fileSeparator && isNextEditModelName(model.name, model.path) ? " · next-edit model" : ""}`,
      action: { kind: "use", path: model.path },
    });
  }
  for (const problem of scan.problems) {
    picks.push({ label: `$(error) ${plainText(path.basename(problem.path))}`, description: plainText(path.relative(folder, problem.path)), detail: withoutPath(problem.message, problem.path), action: { kind: "none" } });
  }
  if (scan.rootProblem) {
    picks.push({ label: "$(warning) No models listed", detail: `${scan.rootProblem} Check slm.modelsDirectory.`, action: { kind: "none" } });
  } else if (scan.models.length === 0 && scan.problems.length === 0) {
    picks.push({ label: "$(info) No .gguf files found", detail: `Nothing in "${folder}" or its subfolders ends in .gguf.`, action: { kind: "none" } });
  }
  if (scan.limited) {
    picks.push({ label: "$(info) Not every file was looked at", detail: `"${folder}" holds too many files to list them all; use Browse… for one not shown.`, action: { kind: "none" } });
  }
  picks.push({ label: BROWSE_LABEL, detail: "Choose a .gguf file anywhere on this machine.", action: { kind: "browse" } });
  return picks;
}
