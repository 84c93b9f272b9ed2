/**
 * The loader's half of the model policy: every file a load opens is known before llama.cpp sees
 * any of them (each part of a split model passes our own bounded header reader first), and once
 * llama.cpp has opened them, each must still be the very file the policy approved.
 */
import { formatBytes } from "../../util/bytes";
import { changedFiles } from "../../models/fileIdentity";
import { type ModelInfo, readModelInfo } from "../../models/modelInfo";
import { checkModelFile } from "../../models/preflight";
import { fileLabel, ModelProblem } from "../../models/problems";
import { splitCountFromName, splitPartPaths } from "../../models/splitParts";
import type { LoadedContext, LoadedModel } from "./slots";

/**
 * The parts of a split model, part 1 (`file`) first, each checked: a regular GGUF file, its header
 * readable and complete, holding tensors, and agreeing with part 1 on the number of parts.
 * node-llama-cpp's own header reader never ended on a hostile 24-byte part; ours refuses it.
 */
export async function checkSplitParts(file: string, info: ModelInfo): Promise<string[]> {
  const byName = splitCountFromName(file);
  if (byName === undefined) return [file];
  const parts = splitPartPaths(file);
  if (info.splitCount !== undefined && info.splitCount !== byName) {
    throw new ModelProblem(
      "badHeader",
      `The model file ${fileLabel(file)} is named as one of ${byName} parts, but its header says the model has ${info.splitCount}. Download or copy all parts of the model again.`,
      undefined,
      file,
    );
  }
  for (const part of parts.slice(1)) {
    const problem = (reason: string): ModelProblem =>
      new ModelProblem("truncated", `Part ${fileLabel(part)} of the split model ${fileLabel(file)} ${reason} Download or copy all parts of the model again.`, undefined, file);
    const size = await checkModelFile(part).catch((error: unknown) => {
      throw problem(`cannot be used: ${error instanceof Error ? error.message : String(error)}`);
    });
    const partInfo = await readModelInfo(part).catch((error: unknown) => {
      throw problem(`is damaged: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (partInfo.parameterCount === 0) throw problem("holds no tensors, so it is not a part of a model.");
    if (partInfo.cutShort) throw problem(`is incomplete: its header describes ${formatBytes(partInfo.dataEndBytes ?? 0)} of data but the file has ${formatBytes(size)}.`);
    if (partInfo.splitCount !== undefined && partInfo.splitCount !== byName) throw problem(`says the model has ${partInfo.splitCount} parts, not ${byName}.`);
  }
  return parts;
}

export function truncatedProblem(file: string, dataEndBytes: number | undefined, sizeBytes: number): ModelProblem {
  return new ModelProblem(
    "truncated",
    `The model file ${fileLabel(file)} is incomplete: its header describes ${formatBytes(dataEndBytes ?? 0)} of data but the file has ${formatBytes(sizeBytes)} (an unfinished download or copy?). Download or copy it again, or choose another model.`,
    undefined,
    file,
  );
}

/**
 * Right after llama.cpp opened the model (and its adapters, with the context): each file must
 * still have the identity the policy approved. A file replaced or rewritten in between (even to
 * the same size with its old modification time) is refused, and what was loaded is freed.
 */
export async function verifyApproved(model: LoadedModel, context: LoadedContext): Promise<void> {
  if (!model.approved) return;
  const changed = await changedFiles(model.approved.files, model.approved.identities);
  if (changed.length === 0) return;
  await context.instance.dispose().catch(() => undefined);
  throw new ModelProblem(
    "notAllowed",
    `The file ${fileLabel(changed[0]!)} changed after it was checked against this machine's list of allowed models (slm.allowedModelHashes) and before it was loaded, so the model was unloaded. Load it again once nothing is writing to it.`,
    `changed: ${changed.join(", ")}`,
    model.summary.path,
  );
}
