#!/usr/bin/env bash
# Builds llama.cpp's own llama-server and llama-bench from the llama.cpp source that node-llama-cpp
# ships (its git bundle: the same commit as the engine we load), into a cache outside the repo:
#   $SLM_TOOLS_DIR/llama.cpp-<release>/bin/{llama-server,llama-bench,libggml-*.so,libllama.so}
# They are the peer engine for the benchmarks and the team server for the tests.
#
# The CPU compute code is not compiled: the build uses GGML_BACKEND_DL, and node-llama-cpp's own
# prebuilt CPU backends (libggml-cpu-<variant>.so, one per x86-64 level) are copied beside the
# binaries, so llama-server picks the best one for this CPU at run time and computes with exactly
# the code our engine runs (and a build made here never carries this CPU's -m flags elsewhere).
#
# Idempotent: prints the bin folder as LLAMA_BIN=... and exits at once when it is already built.
# About 6-10 minutes on 2 cores the first time. Needs cmake, a C++ compiler and git (apt-get).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${SLM_TOOLS_DIR:-$HOME/.cache/slm-assistant/tools}"
NLC="$REPO_ROOT/node_modules/node-llama-cpp"
PREBUILT="$REPO_ROOT/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
JOBS="${SLM_BUILD_JOBS:-$(nproc)}"

log() { printf '[build-llama-server] %s\n' "$*" >&2; }

[ -f "$NLC/llama/gitRelease.bundle" ] || { log "node-llama-cpp is not installed: run npm install first"; exit 1; }
[ -d "$PREBUILT" ] || { log "node-llama-cpp's linux-x64 prebuilt binaries are missing ($PREBUILT)"; exit 1; }

RELEASE="$(node -p "require('$NLC/llama/llama.cpp.info.json').tag")"
OUT="$TOOLS_DIR/llama.cpp-$RELEASE"
BIN="$OUT/bin"

if [ -x "$BIN/llama-server" ] && [ -x "$BIN/llama-bench" ] && [ -f "$OUT/.complete" ]; then
  echo "LLAMA_BIN=$BIN"
  exit 0
fi

# --- build tools (Debian) ---------------------------------------------------------------------------
missing=()
for tool in cmake g++ git make; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install cmake, g++, git"; exit 1; }
    SUDO="sudo -n"
  fi
  log "apt-get install cmake g++ git make (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends cmake g++ git make >/dev/null
fi

# --- source: node-llama-cpp's bundle ------------------------------------------------------------------
SRC="$OUT/src"
if [ ! -f "$SRC/CMakeLists.txt" ]; then
  log "unpacking llama.cpp $RELEASE from node-llama-cpp's git bundle"
  rm -rf "$SRC"
  mkdir -p "$OUT"
  git -c advice.detachedHead=false clone --quiet "$NLC/llama/gitRelease.bundle" "$SRC"
fi

# --- configure and build (CPU backend comes from node-llama-cpp's prebuilt libraries) ----------------
BUILD="$OUT/build"
log "building llama-server and llama-bench with $JOBS jobs (about 6-10 minutes on 2 cores; log: $OUT/build.log)"
start=$(date +%s)
{
  cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
    -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN'
  cmake --build "$BUILD" --config Release -j "$JOBS" --target llama-server llama-bench
} >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; log "build failed (full log: $OUT/build.log)"; exit 1; }

rm -rf "$BIN"
mkdir -p "$BIN"
cp "$BUILD/bin/llama-server" "$BUILD/bin/llama-bench" "$BIN/"
find "$BUILD/bin" -maxdepth 1 -name '*.so*' -exec cp -P {} "$BIN/" \;
# node-llama-cpp's CPU variants, beside the binaries; the build's own libggml-base.so stays (one copy).
cp "$PREBUILT"/libggml-cpu-*.so "$BIN/"
# The binaries find their libraries beside them ($ORIGIN), so one libggml-base is loaded (two abort).
"$BIN/llama-server" --version >"$OUT/version.txt" 2>&1 || { cat "$OUT/version.txt" >&2; log "the built llama-server does not start"; exit 1; }
"$BIN/llama-bench" --help >/dev/null 2>&1 || { log "the built llama-bench does not start"; exit 1; }
touch "$OUT/.complete"
log "built in $(($(date +%s) - start)) s: $(grep -m1 version "$OUT/version.txt" || true)"
echo "LLAMA_BIN=$BIN"
