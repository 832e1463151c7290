module github.com/mimi-lsp/mimi-lsp

go 1.26.8

require github.com/ollama/ollama v0.17.4

require golang.org/x/sync v0.25.0 // indirect
