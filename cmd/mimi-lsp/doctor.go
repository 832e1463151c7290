package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/model"
)

func doctor(ctx context.Context, cfg config.Config, out io.Writer) int {
	host, _ := config.NormalizeHost(cfg.OllamaHost)
	client, err := model.New(model.Config{Host: host, ConnectTimeout: cfg.ConnectTimeout})
	if err != nil {
		fmt.Fprintf(out, "✗ %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	checks := client.Doctor(ctx, router(cfg))
	code := 0
	for _, c := range checks {
		mark := "✓"
		if !c.OK {
			mark, code = "✗", 1
		}
		fmt.Fprintf(out, "%s %s: %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(out, "    fix: %s\n", c.Fix)
		}
	}
	return code
}

func router(cfg config.Config) model.Router {
	return model.Router{Completion: cfg.CompletionModel, Action: cfg.ActionModel, Embed: cfg.EmbedModel}
}
