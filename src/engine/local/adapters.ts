import * as path from "node:path";
import { readModelInfo } from "../../models/modelInfo";
import { checkModelFile } from "../../models/preflight";
import { fileLabel, ModelProblem } from "../../models/problems";
import type { LoraAdapterSetting, ModelSummary } from "../types";

/**
 * Checks each LoRA adapter before llama.cpp sees it: the file exists, is a GGUF LoRA adapter
 * (not a model), and was made for the model's architecture.
 */
export async function checkAdapters(adapters: readonly LoraAdapterSetting[], modelArchitecture: string, modelFile: string): Promise<void> {
  for (const adapter of adapters) {
    const name = fileLabel(adapter.path);
    try {
      await checkModelFile(adapter.path);
    } catch (error) {
      const reason = error instanceof ModelProblem ? error.message.replace(/^The model file /, "The file ") : String(error);
      throw new ModelProblem("badAdapter", `The LoRA adapter in slm.loraAdapters cannot be used: ${reason}`, String(error), modelFile);
    }
    const info = await readModelInfo(adapter.path).catch((error: unknown) => {
      throw new ModelProblem("badAdapter", `The LoRA adapter ${name} is damaged: its GGUF header cannot be read. Remove it from slm.loraAdapters or replace it.`, String(error), modelFile);
    });
    if (info.fileType !== "adapter" || (info.adapterType && info.adapterType !== "lora")) {
      throw new ModelProblem(
        "badAdapter",
        `${name} in slm.loraAdapters is not a LoRA adapter (its header says "${info.fileType ?? "model"}"${info.adapterType ? `, "${info.adapterType}"` : ""}). Set slm.modelPath for models; slm.loraAdapters takes GGUF LoRA adapters made for that model.`,
        undefined,
        modelFile,
      );
    }
    if (info.architecture && info.architecture !== modelArchitecture) {
      throw new ModelProblem(
        "badAdapter",
        `The LoRA adapter ${name} was made for a ${info.architecture} model, but ${path.basename(modelFile)} is ${modelArchitecture}. Use an adapter trained for this model, or remove it from slm.loraAdapters.`,
        undefined,
        modelFile,
      );
    }
  }
}

export function isAdapterFailure(error: unknown, logLines: readonly string[]): boolean {
  return /lora|adapter/i.test(`${error instanceof Error ? error.message : String(error)}\n${logLines.join("\n")}`);
}

/** llama.cpp refused an adapter that passed the header checks: almost always one made for another model of the same architecture. */
export function adapterProblem(adapters: readonly LoraAdapterSetting[], model: ModelSummary, error: unknown, logLines: readonly string[]): ModelProblem {
  const said = logLines.find((line) => /lora|adapter|shape/i.test(line))?.trim();
  const names = adapters.map((adapter) => fileLabel(adapter.path)).join(", ");
  return new ModelProblem(
    "badAdapter",
    `The LoRA adapter ${names} does not fit ${model.name}: it was made for a different model (llama.cpp says: ${said ?? (error instanceof Error ? error.message : String(error))}). Use an adapter trained for this model, or remove it from slm.loraAdapters.`,
    [String(error), ...logLines.slice(-8)].join("\n"),
    model.path,
  );
}
