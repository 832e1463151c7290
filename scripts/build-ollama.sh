#!/usr/bin/env bash
# Builds a CPU-only Ollama server from its Go module (no downloads of prebuilt binaries or weights).
# Output: $OUT (default .cache/bin/ollama). Reruns are instant once the binary exists.
# Needs Debian packages nlohmann-json3-dev and libstb-dev (see .ci/run).
set -euo pipefail
OLLAMA_VERSION="${OLLAMA_VERSION:-v0.17.4}"
MALGO_VERSION="v0.11.24"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/.cache/bin/ollama}"
STAMP="$OUT.version"
if [[ -x "$OUT" && -f "$STAMP" && "$(cat "$STAMP")" == "$OLLAMA_VERSION" ]]; then
  echo "ollama $OLLAMA_VERSION already built at $OUT" >&2
  exit 0
fi
for h in /usr/include/nlohmann/json.hpp /usr/include/stb/stb_image.h; do
  if [[ ! -f "$h" ]]; then
    echo "missing $h: run 'apt-get install -y nlohmann-json3-dev libstb-dev'" >&2
    exit 1
  fi
done
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# miniaudio.h is left out of Ollama's module zip; malgo's module carries the same header.
GOFLAGS=-mod=mod go mod download -json "github.com/gen2brain/malgo@$MALGO_VERSION" > malgo.json
MALGO_DIR="$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' malgo.json)"
mkdir -p inc/miniaudio
cp "$MALGO_DIR/miniaudio.h" inc/miniaudio/miniaudio.h
mkdir -p "$(dirname "$OUT")"
echo "building ollama $OLLAMA_VERSION (takes a few minutes)…" >&2
CGO_CPPFLAGS="-I$WORK/inc -I/usr/include -I/usr/include/stb" GOBIN="$WORK/bin" \
  go install "github.com/ollama/ollama@$OLLAMA_VERSION"
mv "$WORK/bin/ollama" "$OUT"
echo "$OLLAMA_VERSION" > "$STAMP"
echo "built $OUT" >&2
