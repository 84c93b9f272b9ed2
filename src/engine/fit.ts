/** Memory arithmetic for the fit check before a load; pure, so it is tested without a model. */

export interface MemoryNeeds {
  ram: number;
  vram: number;
}

export interface FitQuestion {
  /** The context size the settings ask for. */
  readonly wanted: number;
  readonly minimum: number;
  /** What the model weights need whatever the context size. */
  readonly modelNeeds: MemoryNeeds;
  /** What the contexts need at a given size; grows with the size. */
  readonly contextNeeds: (contextSize: number) => Promise<MemoryNeeds>;
  readonly free: MemoryNeeds;
}

export type FitAnswer =
  | { readonly fits: true }
  | {
      readonly fits: false;
      /** Which memory runs out at the wanted size. */
      readonly short: "ram" | "vram";
      /** Total needs at the wanted size. */
      readonly needed: MemoryNeeds;
      /** The largest multiple of 256 (at least `minimum`) that fits; absent when even the minimum does not. */
      readonly largestContextSize?: number;
    };

const STEP = 256;

/** Does the wanted context fit, and if not, what is the largest one that does (binary search). */
export async function largestFittingContext(question: FitQuestion): Promise<FitAnswer> {
  const total = async (contextSize: number): Promise<MemoryNeeds> => {
    const context = await question.contextNeeds(contextSize);
    return { ram: question.modelNeeds.ram + context.ram, vram: question.modelNeeds.vram + context.vram };
  };
  const fits = (needs: MemoryNeeds) => needs.ram <= question.free.ram && needs.vram <= question.free.vram;

  const needed = await total(question.wanted);
  if (fits(needed)) return { fits: true };
  const short = needed.ram > question.free.ram ? "ram" : "vram";

  let low = Math.ceil(question.minimum / STEP);
  let high = Math.floor((question.wanted - 1) / STEP);
  if (high < low || !fits(await total(low * STEP))) return { fits: false, short, needed };
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(await total(middle * STEP))) low = middle;
    else high = middle - 1;
  }
  return { fits: false, short, needed, largestContextSize: low * STEP };
}
