#!/usr/bin/env bash
# A real completion through a private Ollama serving the project's tiny test models (no GPU,
# no model pulls): builds Ollama from its Go module when needed, starts it on a free loopback
# port, runs `mimi-lsp doctor` and `mimi-lsp complete`, and stops it on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
LOC="${1:-examples/add.go:10:8}"
bash scripts/setup.sh ollama
go build -o bin/tiny-ollama ./internal/testenv/tiny-ollama
mkdir -p .cache
env_file="$(mktemp .cache/tiny-ollama.XXXXXX)"
bin/tiny-ollama > "$env_file" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$env_file"' EXIT INT TERM
for _ in $(seq 300); do
  grep -q OLLAMA_HOST "$env_file" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "demo: the private Ollama did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q OLLAMA_HOST "$env_file" || { echo "demo: the private Ollama did not start in 30 s" >&2; exit 1; }
export "$(cat "$env_file")"
bin/mimi-lsp doctor || true   # the tiny models lack nothing; doctor shows what a real setup checks
bin/mimi-lsp complete "$LOC"
