// Runs every test layer in order and prints how many tests passed in each:
// type-check and build, lint, unit, engine (real node-llama-cpp), extension host (real VS Code server),
// browser end-to-end (Chromium driving code-server with the packaged VSIX installed).
import { spawn } from "node:child_process";

const layers = [
  { name: "build", command: "npm run compile && npm run build", counts: false },
  { name: "lint", command: "npm run lint", counts: false },
  { name: "unit", command: "npm run test:unit" },
  { name: "engine", command: "npm run test:engine" },
  { name: "package", command: "npm run package", counts: false },
  { name: "integration", command: "npm run test:integration" },
  { name: "e2e", command: "npm run test:e2e" },
];

const only = process.argv.slice(2);
const results = [];
let failedStep;

for (const layer of layers) {
  if (only.length && !only.includes(layer.name)) continue;
  console.log(`\n=== ${layer.name}: ${layer.command}`);
  const started = Date.now();
  const { code, output } = await run(layer.command);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const passed = lastNumber(output, /(\d+) passing/g);
  const failed = lastNumber(output, /(\d+) failing/g);
  results.push({ ...layer, code, seconds, passed, failed });
  if (code !== 0) {
    failedStep = layer.name;
    break;
  }
}

console.log("\n=== summary");
let totalPassed = 0;
let totalFailed = 0;
for (const r of results) {
  if (r.counts === false) {
    if (r.code !== 0) totalFailed += 1;
    console.log(`${r.name.padEnd(12)} ${r.code === 0 ? "ok" : `FAILED (exit ${r.code})`} in ${r.seconds}s`);
    continue;
  }
  const failed = r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0);
  totalPassed += r.passed;
  totalFailed += failed;
  console.log(`${r.name.padEnd(12)} ${r.passed} passed, ${failed} failed in ${r.seconds}s`);
}
console.log(`total: ${totalPassed} passed, ${totalFailed} failed`);
process.exit(failedStep ? 1 : 0);

function run(command) {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const forward = (stream, target) =>
      stream.on("data", (chunk) => {
        output += chunk.toString();
        target.write(chunk);
      });
    forward(child.stdout, process.stdout);
    forward(child.stderr, process.stderr);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

function lastNumber(text, pattern) {
  let value = 0;
  for (const match of text.matchAll(pattern)) value = Number(match[1]);
  return value;
}
