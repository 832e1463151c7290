#!/usr/bin/env bash
# One-time set-up for tests on a fresh Debian machine: the packages the real-component tests
# need, Go modules, and a CPU Ollama built from its Go module (cached in .cache/bin).
#   scripts/setup.sh          everything `make test` uses
#   scripts/setup.sh ollama   only what building the private Ollama needs (make run / make demo)
# As root it installs missing Debian packages; otherwise it says what is missing and which
# tests will be skipped, and goes on (with MIMI_REQUIRE_ALL=1 a missing piece is an error).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
mkdir -p .cache
missing_file=.cache/missing-components
: > "$missing_file"
need=()
if [[ $mode == all ]]; then
  command -v nvim >/dev/null || need+=(neovim)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v prometheus >/dev/null && command -v promtool >/dev/null || need+=(prometheus)
  # The fidelity test's corpus: Python's standard library and npm's own JavaScript.
  compgen -G '/usr/lib/python3.*/asyncio' >/dev/null || need+=(python3)
  command -v npm >/dev/null || need+=(npm)
fi
[[ -f /usr/include/nlohmann/json.hpp ]] || need+=(nlohmann-json3-dev)
[[ -f /usr/include/stb/stb_image.h ]] || need+=(libstb-dev)
if ((${#need[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    need=()
  else
    {
      echo "missing Debian packages: ${need[*]} (install: sudo apt-get install -y ${need[*]})"
      for p in "${need[@]}"; do
        case $p in
          neovim) echo "  → SKIPPED: the headless Neovim e2e test" ;;
          redis-server) echo "  → SKIPPED: every real-Redis test (cache tier, Cluster, TLS, e2e sharing)" ;;
          prometheus) echo "  → SKIPPED: the real-Prometheus scrape test and promtool checks" ;;
          python3|npm) echo "  → SKIPPED: the fidelity test's $p corpus" ;;
          nlohmann-json3-dev|libstb-dev) echo "  → SKIPPED: every real-Ollama test ($p is needed to build Ollama)" ;;
        esac
      done
    } | awk '!seen[$0]++' | tee -a "$missing_file" >&2
    if [[ "${MIMI_REQUIRE_ALL:-}" == 1 ]]; then
      echo "setup: MIMI_REQUIRE_ALL=1 and components are missing" >&2
      exit 1
    fi
  fi
fi
go mod download
if [[ " ${need[*]} " == *" nlohmann-json3-dev "* || " ${need[*]} " == *" libstb-dev "* ]]; then
  echo "setup: not building Ollama (headers missing, see above)" >&2
  [[ $mode == ollama ]] && exit 1
  exit 0
fi
bash scripts/build-ollama.sh
