#!/usr/bin/env bash
# One-time set-up for tests on a fresh Debian machine: the packages the real-component tests
# need, Go modules, and a CPU Ollama built from its Go module (cached in .cache/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v nvim >/dev/null || need+=(neovim)
command -v redis-server >/dev/null || need+=(redis-server)
[[ -f /usr/include/nlohmann/json.hpp ]] || need+=(nlohmann-json3-dev)
[[ -f /usr/include/stb/stb_image.h ]] || need+=(libstb-dev)
if ((${#need[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing packages: ${need[*]} — run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
go mod download
bash scripts/build-ollama.sh
