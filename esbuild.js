// Bundles the extension host code. node-llama-cpp is never bundled: it is ESM with a native
// binary, loaded at run time with a real dynamic import() and shipped in the VSIX as is.
const esbuild = require("esbuild");

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

/** @type {import('esbuild').BuildOptions} */
const extensionOptions = {
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["vscode", "node-llama-cpp"],
  sourcemap: !production,
  minify: production,
  logLevel: "info",
};

/** The engine process (src/engine/host/child.ts), started by the extension with child_process.fork. */
/** @type {import('esbuild').BuildOptions} */
const engineHostOptions = {
  ...extensionOptions,
  entryPoints: ["src/engine/host/child.ts"],
  outfile: "dist/engineHost.js",
  external: ["node-llama-cpp"],
};

/** The model-file worker (src/models/fileWorker.ts: hashing, GGUF headers), started by src/models/fileWorkerClient.ts from the same folder. */
/** @type {import('esbuild').BuildOptions} */
const fileWorkerOptions = {
  ...extensionOptions,
  entryPoints: ["src/models/fileWorker.ts"],
  outfile: "dist/fileWorker.js",
  external: [],
};

/** The chat webview (media/chat): browser code, one script and one stylesheet in dist/media. */
/** @type {import('esbuild').BuildOptions} */
const chatWebviewOptions = {
  entryPoints: { chat: "media/chat/main.ts" },
  bundle: true,
  outdir: "dist/media",
  platform: "browser",
  target: "chrome120",
  format: "iife",
  sourcemap: false,
  minify: production,
  logLevel: "info",
};

async function main() {
  const builds = [extensionOptions, engineHostOptions, fileWorkerOptions, chatWebviewOptions];
  if (watch) {
    for (const options of builds) (await esbuild.context(options)).watch();
    return;
  }
  await Promise.all(builds.map((options) => esbuild.build(options)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
