// Builds the VSIX for one platform: `npm run package [-- --target linux-x64]`.
//
// node-llama-cpp is not bundled (it is ESM with a native addon), so the VSIX ships it and its runtime
// dependencies in node_modules: vsce packs the production dependency tree, and .vscodeignore keeps
// out everything a user never runs (sources, maps, docs, the llama.cpp source bundle) and every
// platform's prebuilt llama.cpp except this target's (@node-llama-cpp/<target>).
// Output: slm-assistant-<target>.vsix in the repository root; prints its size and checks its contents.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));

/** VS Code target → the node-llama-cpp prebuilt package that runs there (CPU build, Metal on Apple silicon). */
const PREBUILT = {
  "linux-x64": "linux-x64",
  "linux-arm64": "linux-arm64",
  "linux-armhf": "linux-armv7l",
  "darwin-arm64": "mac-arm64-metal",
  "darwin-x64": "mac-x64",
  "win32-x64": "win-x64",
  "win32-arm64": "win-arm64",
};

/**
 * GPU builds shipped beside the CPU one: Vulkan runs on NVIDIA, AMD and Intel GPUs, and
 * node-llama-cpp's "auto" picks it only where a Vulkan device works, else the CPU build. The CUDA
 * builds (about 540 MB) are left out of the VSIX.
 */
const GPU_PREBUILTS = {
  "linux-x64": ["linux-x64-vulkan"],
  "win32-x64": ["win-x64-vulkan"],
};

/** Every prebuilt package the VSIX for `target` carries. */
function prebuiltsFor(target) {
  return [PREBUILT[target], ...(GPU_PREBUILTS[target] ?? [])];
}

function currentTarget() {
  const platform = { linux: "linux", darwin: "darwin", win32: "win32" }[process.platform];
  const arch = { x64: "x64", arm64: "arm64", arm: "armhf" }[process.arch];
  return `${platform}-${arch}`;
}

function parseArgs(argv) {
  const options = { target: currentTarget(), skipBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--target") options.target = argv[++i];
    else if (arg.startsWith("--target=")) options.target = arg.slice("--target=".length);
    else if (arg === "--skip-build") options.skipBuild = true;
    else throw new Error(`unknown argument ${arg} (use --target <vscode-target>, --skip-build)`);
  }
  if (!PREBUILT[options.target]) {
    throw new Error(`unsupported target ${options.target}; one of: ${Object.keys(PREBUILT).join(", ")}`);
  }
  return options;
}

function run(command, args) {
  console.log(`> ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "true" } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
}

/** .vscodeignore with the prebuilt-binary line switched to `target`'s package. */
function ignoreFileFor(target) {
  const base = fs.readFileSync(path.join(root, ".vscodeignore"), "utf8");
  const keep = prebuiltsFor(target).map((name) => `!node_modules/@node-llama-cpp/${name}/**`);
  const lines = base.split("\n").filter((line) => !line.startsWith("!node_modules/@node-llama-cpp/"));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slm-package-")), "vscodeignore");
  fs.writeFileSync(file, [...lines, ...keep, ""].join("\n"));
  return file;
}

function listEntries(vsix) {
  const yauzl = require("yauzl");
  return new Promise((resolve, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries = [];
      zip.on("entry", (entry) => {
        entries.push({ name: entry.fileName, size: entry.uncompressedSize });
        zip.readEntry();
      });
      zip.on("end", () => resolve(entries));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

function checkContents(entries, target) {
  const names = entries.map((e) => e.name);
  const has = (prefix) => names.some((n) => n.startsWith(prefix));
  const problems = [];
  for (const needed of [
    "extension/package.json",
    "extension/dist/extension.js",
    "extension/dist/engineHost.js",
    "extension/dist/fileWorker.js",
    "extension/node_modules/node-llama-cpp/package.json",
    "extension/node_modules/node-llama-cpp/dist/index.js",
    "extension/node_modules/node-llama-cpp/llama/binariesGithubRelease.json",
    `extension/node_modules/@node-llama-cpp/${PREBUILT[target]}/package.json`,
  ]) {
    if (!names.includes(needed)) problems.push(`missing ${needed}`);
  }
  if (!names.some((n) => n.startsWith(`extension/node_modules/@node-llama-cpp/${PREBUILT[target]}/bins/`) && /\.(node)$/.test(n))) {
    problems.push(`no llama-addon.node for ${target}`);
  }
  const prebuilts = new Set(
    names.map((n) => /^extension\/node_modules\/@node-llama-cpp\/([^/]+)\//.exec(n)?.[1]).filter(Boolean),
  );
  for (const p of prebuilts) if (!prebuiltsFor(target).includes(p)) problems.push(`contains another platform's binaries: @node-llama-cpp/${p}`);
  for (const unwanted of ["extension/src/", "extension/test/", "extension/out/", "extension/.test-run/", "extension/node_modules/node-llama-cpp/llama/gitRelease.bundle"]) {
    if (has(unwanted)) problems.push(`contains ${unwanted}`);
  }
  const devOnly = ["typescript", "mocha", "esbuild", "playwright-core", "@vscode/vsce", "@vscode/test-electron"];
  for (const dep of devOnly) if (has(`extension/node_modules/${dep}/`)) problems.push(`contains devDependency ${dep}`);
  if (names.some((n) => n.endsWith(".map"))) problems.push("contains source maps");
  return { problems, prebuilts: [...prebuilts] };
}

async function main() {
  const { target, skipBuild } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (!skipBuild) run(process.execPath, ["esbuild.js", "--production"]);
  const out = path.join(root, `slm-assistant-${target}.vsix`);
  fs.rmSync(out, { force: true });
  const ignoreFile = ignoreFileFor(target);
  const vsce = path.join(path.dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
  try {
    run(process.execPath, [
      vsce, "package",
      "--target", target,
      "--out", out,
      "--ignoreFile", ignoreFile,
      // The package is local (no marketplace): these would otherwise stop at a y/N prompt.
      "--allow-missing-repository",
      "--skip-license",
      "--allow-star-activation",
      // README images are shipped in the package and shown from it, so relative links stay relative
      // (vsce would otherwise want a repository URL to rewrite them to).
      "--no-rewrite-relative-links",
    ]);
  } finally {
    fs.rmSync(path.dirname(ignoreFile), { recursive: true, force: true });
  }

  const entries = await listEntries(out);
  const { problems, prebuilts } = checkContents(entries, target);
  const sizeMb = fs.statSync(out).size / (1024 * 1024);
  const unpackedMb = entries.reduce((sum, e) => sum + e.size, 0) / (1024 * 1024);
  console.log(
    `package: ${path.relative(root, out)} — ${sizeMb.toFixed(1)} MB (${unpackedMb.toFixed(1)} MB unpacked, ${entries.length} files; ` +
      `llama.cpp prebuilt: @node-llama-cpp/${prebuilts.join(", ")}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (problems.length > 0) {
    for (const p of problems) console.error(`package: ${p}`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`package: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
