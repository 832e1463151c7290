# mimi-lsp — see README.md. `make run` (main job) and `make test` (all tests) do their own set-up.
GO      ?= go
BIN     := bin/mimi-lsp
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
export MIMI_OLLAMA_BIN ?= $(CURDIR)/.cache/bin/ollama

.PHONY: build test e2e bench replay run demo lint setup ollama vscode clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/mimi-lsp

# The main job: a real completion through your Ollama (OLLAMA_HOST, default 127.0.0.1:11434).
run: build
	$(BIN) complete examples/add.go:10:8

# The same against a private Ollama serving the project's tiny test models (no GPU, no pulls).
demo: build ollama
	@set -e; $(GO) build -o bin/tiny-ollama ./internal/cmd/tiny-ollama; \
	bin/tiny-ollama > .cache/tiny-ollama.env & pid=$$!; \
	for i in $$(seq 100); do grep -q OLLAMA_HOST .cache/tiny-ollama.env 2>/dev/null && break; sleep 0.1; done; \
	export $$(cat .cache/tiny-ollama.env); \
	$(BIN) doctor; $(BIN) complete examples/add.go:10:8; kill $$pid

setup:
	bash scripts/setup.sh

ollama:
	bash scripts/build-ollama.sh

# Every test: unit, golden, fault injection, e2e with real Ollama and real Neovim.
test: setup
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Only the real-process suite (real binary, real Ollama, real Neovim).
e2e: setup
	$(GO) test -count=1 -v ./e2e/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The replay benchmark: types 20 functions of Go's own source into a real mimi-lsp (fake model
# with a 250 ms median latency). ARGS="--redis-url redis://127.0.0.1:6379" adds the Redis tier;
# ARGS="--backend ollama" uses OLLAMA_HOST.
replay: build
	$(GO) run ./cmd/mimi-bench --server $(BIN) --functions 20 $(ARGS)

# The VS Code extension: type-check and bundle (npm); `npm run package` in editors/vscode makes a .vsix.
vscode:
	cd editors/vscode && npm ci --no-audit --no-fund && npm run typecheck && npm run build

lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
