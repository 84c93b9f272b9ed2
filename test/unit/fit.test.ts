import * as assert from "node:assert/strict";
import { largestFittingContext } from "../../src/engine/fit";

const GB = 1024 ** 3;
const MB = 1024 ** 2;
/** 1 GB of weights and 1 MB of KV cache per 10 tokens, all in RAM. */
const question = (freeRam: number, wanted = 32768, vram = { need: 0, free: Number.POSITIVE_INFINITY }) =>
  largestFittingContext({
    wanted,
    minimum: 256,
    modelNeeds: { ram: GB, vram: vram.need },
    contextNeeds: async (contextSize) => ({ ram: (contextSize / 10) * MB, vram: 0 }),
    free: { ram: freeRam, vram: vram.free },
  });

describe("fit check before loading", () => {
  it("fits when weights and context fit in free memory", async () => {
    assert.deepEqual(await question(GB + 3300 * MB), { fits: true });
  });

  it("names the largest context size (a multiple of 256) that fits when the wanted one does not", async () => {
    const answer = await question(GB + 1000 * MB);
    assert.equal(answer.fits, false);
    if (answer.fits) return;
    assert.equal(answer.short, "ram");
    assert.equal(answer.largestContextSize, 9984); // 9984 tokens need 998.4 MB; 10240 would need 1024 MB
    assert.equal(answer.needed.ram, GB + 3276.8 * MB);
  });

  it("offers no context when even the smallest does not fit next to the weights", async () => {
    const answer = await question(GB / 2);
    assert.deepEqual(answer.fits ? undefined : answer.largestContextSize, undefined);
  });

  it("reports video memory as the shortage when the layers on the GPU do not fit", async () => {
    const answer = await question(100 * GB, 4096, { need: 8 * GB, free: 4 * GB });
    assert.equal(answer.fits, false);
    if (!answer.fits) {
      assert.equal(answer.short, "vram");
      assert.equal(answer.largestContextSize, undefined);
    }
  });
});
