#!/usr/bin/env bash
# `npm run start`: runs SLM Assistant in VS Code (code-server, in your browser) on a fresh machine.
#   1. installs the npm dependencies if node_modules is missing or older than package-lock.json;
#   2. installs the tools (Chromium, Node 24, code-server; scripts/setup-tools.sh; fast when done);
#   3. compiles, builds and packages the extension (slm-assistant-<target>.vsix);
#   4. uses SLM_MODEL=/path/to/model.gguf, or generates the small demo model (random weights: it
#      loads and answers, but its answers are gibberish; point SLM_MODEL at a real GGUF model, e.g.
#      a Qwen2.5-Coder 0.5B-1.5B GGUF, for useful ones);
#   5. starts code-server on 127.0.0.1:${PORT:-8080} with the VSIX installed and slm.modelPath set,
#      prints the URL, and stays in the foreground until Ctrl-C.
# Env: PORT, SLM_MODEL, SLM_START_DIR (code-server's data; default .test-run/start), SLM_TOOLS_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT="${PORT:-8080}"
START_DIR="${SLM_START_DIR:-$PWD/.test-run/start}"
say() { printf '\n[start] %s\n' "$*"; }

# npm install first: setup-tools finds playwright-core among the project's dependencies.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm install"
  npm install --no-audit --no-fund
fi

say "tools"
bash scripts/setup-tools.sh --editor-only

say "compile and package"
# tsc builds the demo-model generator and the server script into out/; a type error stops here.
npm run --silent compile || { echo "[start] tsc reported type errors (above); fix them and run npm start again" >&2; exit 1; }
npm run --silent package

target="linux-x64"
case "$(uname -m)" in
  aarch64 | arm64) target="linux-arm64" ;;
esac
vsix="$PWD/slm-assistant-$target.vsix"

if [ -n "${SLM_MODEL:-}" ]; then
  model="$SLM_MODEL"
  [ -f "$model" ] || { echo "[start] SLM_MODEL=$model does not exist" >&2; exit 1; }
else
  say "demo model"
  model="$(node out/test/support/cli.js tiny)"
fi

say "code-server"
exec node out/test/harness/serve.js --vsix "$vsix" --model "$model" --port "$PORT" --dir "$START_DIR"
