// A split GGUF model as llama.cpp's gguf-split writes one: part 1 holds the metadata and the first
// tensors, every part carries split.no / split.count / split.tensors.count, and the parts are named
// "<prefix>-0000N-of-0000M.gguf". Written into a folder the test owns, so it can swap parts.
import { join } from "node:path";
import { tinyModelSpec } from "./gguf/shapes";
import { GgufValueType, type GgufModelSpec, type GgufValue } from "./gguf/types";
import { i32 } from "./gguf/values";
import { writeGguf } from "./gguf/writer";

const u16 = (value: number): GgufValue => ({ type: GgufValueType.UINT16, value });

/** The tiny model split in `parts` files in `dir`; returns their paths, part 1 first. */
export async function writeSplitTinyModel(dir: string, parts = 2, prefix = "tiny-split"): Promise<string[]> {
  const spec = tinyModelSpec();
  const perPart = Math.ceil(spec.tensors.length / parts);
  const paths: string[] = [];
  for (let part = 0; part < parts; part++) {
    const split = new Map<string, GgufValue>([
      ["split.no", u16(part)],
      ["split.count", u16(parts)],
      ["split.tensors.count", i32(spec.tensors.length)],
    ]);
    const metadata = part === 0 ? new Map([...spec.metadata, ...split]) : split;
    const partSpec: GgufModelSpec = { metadata, tensors: spec.tensors.slice(part * perPart, (part + 1) * perPart) };
    const path = join(dir, `${prefix}-${String(part + 1).padStart(5, "0")}-of-${String(parts).padStart(5, "0")}.gguf`);
    await writeGguf(path, partSpec);
    paths.push(path);
  }
  return paths;
}
