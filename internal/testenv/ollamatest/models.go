package ollamatest

import (
	"path/filepath"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/tinymodel"
)

// WriteModels writes into dir: fim.gguf (answers Answer after <|fim_middle|>), action.gguf
// (answers ActionAnswer to a chat), slow.gguf (the same, then spaces until num_predict) and
// embed.gguf (the embedding capability).
func WriteModels(dir string) error {
	if err := tinymodel.Write(filepath.Join(dir, "fim.gguf"), tinymodel.Spec{Answer: Answer}); err != nil {
		return err
	}
	if err := tinymodel.Write(filepath.Join(dir, "action.gguf"), tinymodel.Spec{Answer: ActionAnswer, Trigger: "\n"}); err != nil {
		return err
	}
	if err := tinymodel.Write(filepath.Join(dir, "slow.gguf"), tinymodel.Spec{Answer: ActionAnswer, Trigger: "\n", Endless: true}); err != nil {
		return err
	}
	return tinymodel.Write(filepath.Join(dir, "embed.gguf"), tinymodel.Spec{Answer: Answer, Embedding: true})
}
