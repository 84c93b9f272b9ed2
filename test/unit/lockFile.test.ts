import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const read = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(root, file), "utf8")) as Record<string, unknown>;

describe("package-lock.json", () => {
  const lock = read("package-lock.json") as { packages: Record<string, { version?: string; optional?: boolean; os?: string[] }> };
  const manifest = read("package.json") as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

  it("names every dependency of package.json (npm ci refuses a lock out of sync)", () => {
    const root = lock.packages[""] as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    assert.deepEqual(root.dependencies ?? {}, manifest.dependencies ?? {});
    assert.deepEqual(root.devDependencies ?? {}, manifest.devDependencies ?? {});
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) assert.ok(lock.packages[`node_modules/${name}`], name);
  });

  it("names node-llama-cpp's prebuilt binary for every platform, at its version (scripts/lock-other-platforms.js)", () => {
    const llama = read("node_modules/node-llama-cpp/package.json") as { version: string; optionalDependencies: Record<string, string> };
    const missing = Object.entries(llama.optionalDependencies).filter(([name, version]) => lock.packages[`node_modules/${name}`]?.version !== version);
    assert.deepEqual(missing, [], "run: node scripts/lock-other-platforms.js package-lock.json");
    for (const name of Object.keys(llama.optionalDependencies)) assert.equal(lock.packages[`node_modules/${name}`]?.optional, true, name);
  });
});
