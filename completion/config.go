package completion

import (
	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// ConfigFrom maps the server configuration onto the engine's.
func ConfigFrom(cfg config.Config) Config {
	return Config{
		Model:    cfg.CompletionModel,
		Template: cfg.FIMTemplate,
		Options: model.Options{
			NumCtx: cfg.NumCtx, NumPredict: cfg.NumPredict, Temperature: cfg.Temperature, TopP: cfg.TopP,
		},
		KeepAlive:    cfg.KeepAlive,
		PrefixTokens: cfg.PrefixTokens,
		SuffixTokens: cfg.SuffixTokens,
		MultiLine:    cfg.MultiLine,
		MaxLines:     cfg.MaxLines,
		Debounce:     cfg.Debounce,
		Adaptive:     cfg.DebounceAdaptive,
	}
}
