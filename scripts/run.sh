#!/usr/bin/env bash
# The main job: a real completion through your Ollama (OLLAMA_HOST, default 127.0.0.1:11434).
# When that fails (no Ollama, model not pulled), mimi-lsp has printed how to fix it; then this
# falls back to a private Ollama serving the project's tiny test models, so the command always
# ends in a real completion through the real server.
set -uo pipefail
cd "$(dirname "$0")/.."
LOC="${1:-examples/add.go:10:8}"
bin/mimi-lsp complete "$LOC"
rc=$?
if [[ $rc -ne 1 ]]; then
  exit $rc  # 0: done; 2: a usage error that the fallback would not fix
fi
cat >&2 <<'MSG'

──────────────────────────────────────────────────────────────────────────────
Your Ollama could not answer (see above for the fix). Falling back to a PRIVATE
Ollama serving the project's TINY TEST MODELS: a real Ollama server and a real
completion through mimi-lsp, but the model is a few-KB test model that always
answers "a + b" — not a code model. To use a real one: start Ollama
(`ollama serve` or `docker compose up -d`), `ollama pull qwen2.5-coder:1.5b`,
and run `make run` again (OLLAMA_HOST=http://HOST:11434 for another machine).
──────────────────────────────────────────────────────────────────────────────

MSG
exec bash scripts/demo.sh "$LOC"
