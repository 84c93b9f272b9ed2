/** llama.cpp's and node-llama-cpp's name for part N of M: "name-0000N-of-0000M.gguf". */
const SPLIT_NAME = /-(\d{5})-of-(\d{5})\.gguf$/;
/** More parts than any published model has; a larger count is a hostile name, not a model. */
export const MAX_SPLIT_PARTS = 512;

/**
 * Every file that loading `file` opens: the file itself first and, for a split model, each other
 * part. node-llama-cpp finds the parts by the file's name; llama.cpp by the same name pattern with
 * the `split.count` of part 1's header, and it refuses a count that differs from the name's (the
 * loader refuses that first: see splitCountProblem).
 */
export function splitPartPaths(file: string): string[] {
  const match = SPLIT_NAME.exec(file);
  if (!match) return [file];
  const count = Math.min(Number(match[2]), MAX_SPLIT_PARTS);
  const prefix = file.slice(0, match.index);
  const parts = [file];
  for (let part = 1; part <= count; part++) {
    const name = `${prefix}-${String(part).padStart(5, "0")}-of-${match[2]}.gguf`;
    if (name !== file) parts.push(name);
  }
  return parts;
}

/** The part count the name states, when the file is named as a part of a split model. */
export function splitCountFromName(file: string): number | undefined {
  const match = SPLIT_NAME.exec(file);
  return match ? Number(match[2]) : undefined;
}
