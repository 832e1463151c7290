package ollamatest

import (
	"path/filepath"

	"github.com/mimi-lsp/mimi-lsp/internal/tinymodel"
)

// WriteModels writes fim.gguf (answers Answer after <|fim_middle|>) and embed.gguf (same
// network with the embedding capability) into dir.
func WriteModels(dir string) error {
	if err := tinymodel.Write(filepath.Join(dir, "fim.gguf"), tinymodel.Spec{Answer: Answer}); err != nil {
		return err
	}
	return tinymodel.Write(filepath.Join(dir, "embed.gguf"), tinymodel.Spec{Answer: Answer, Embedding: true})
}
