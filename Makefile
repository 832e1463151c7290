# mimi-lsp — see README.md. `make run` (main job) and `make test` (all tests) do their own set-up.
GO      ?= go
BIN     := bin/mimi-lsp
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
export MIMI_OLLAMA_BIN ?= $(CURDIR)/.cache/bin/ollama

.PHONY: build test fuzz e2e bench bench-report replay run demo lint setup ollama vscode clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mimi-lsp

# The main job: a real completion through your Ollama (OLLAMA_HOST, default 127.0.0.1:11434);
# without one it says how to start it, then falls back to a private Ollama with tiny test models.
run: build
	bash scripts/run.sh

# The same against a private Ollama serving the project's tiny test models (no GPU, no pulls).
demo: build
	bash scripts/demo.sh

setup:
	bash scripts/setup.sh

ollama:
	bash scripts/build-ollama.sh

# Every test: unit, golden, fault injection, e2e with real Ollama and real Neovim.
# Components missing on this machine (not root, no apt) are listed by setup and their tests skip.
test: setup
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	@if [ -s .cache/missing-components ]; then echo; echo "NOTE: some tests were SKIPPED:"; cat .cache/missing-components; fi

# Each fuzz target for a short time (CI); FUZZTIME=5m for a longer local run.
FUZZTIME ?= 15s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# Only the real-process suite (real binary, real Ollama, real Neovim).
e2e: setup
	$(GO) test -count=1 -v ./e2e/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The replay benchmark: types 20 functions of Go's own source into a real mimi-lsp (fake model
# answering the true code at 250 ms + 8 ms/token, 40 % wrong). ARGS="--redis-url redis://127.0.0.1:6379" adds the Redis tier;
# ARGS="--backend ollama" uses OLLAMA_HOST.
# One report (cache-hit round trips against a bare LSP server, the typing replay, workspace
# indexing): the README's benchmark table comes from it.
bench-report: build
	$(GO) build -o bin/mimi-bench ./cmd/mimi-bench
	bin/mimi-bench --server $(BIN) --functions 30 $(ARGS) report

replay: build
	$(GO) run ./cmd/mimi-bench --server $(BIN) --functions 20 $(ARGS)

# The VS Code extension: type-check, unit-test, bundle and package editors/vscode/mimi-lsp.vsix
# (its file list and size are printed).
vscode:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run typecheck && npm test && npm run package
	@ls -l editors/vscode/mimi-lsp.vsix | awk '{print "mimi-lsp.vsix:", $$5, "bytes"}'

lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	@d=$$($(GO) mod tidy -diff 2>&1) || { echo "go mod tidy -diff failed (go.mod/go.sum not tidy, or modules unavailable):"; echo "$$d"; exit 1; }

clean:
	rm -rf bin
