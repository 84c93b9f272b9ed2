// node scripts/lock-other-platforms.js package-lock.json
// Adds lock entries for node-llama-cpp's prebuilt binaries of other platforms that the registry here
// does not hold at this version: platform-only, never fetched on Linux x64.
const fs = require("fs");
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const version = lock.packages["node_modules/node-llama-cpp"].version;
const platforms = {
  "linux-riscv64": ["linux", "riscv64"], "mac-arm64-metal": ["darwin", "arm64"], "mac-x64": ["darwin", "x64"],
  "win-arm64": ["win32", "arm64"], "win-x64": ["win32", "x64"], "win-x64-cuda": ["win32", "x64"], "win-x64-cuda-ext": ["win32", "x64"], "win-x64-vulkan": ["win32", "x64"],
};
for (const [name, [os, cpu]] of Object.entries(platforms)) {
  const key = `node_modules/@node-llama-cpp/${name}`;
  if (lock.packages[key]) continue;
  lock.packages[key] = { version, cpu: [cpu], license: "MIT", optional: true, os: [os], engines: { node: ">=20.0.0" } };
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
