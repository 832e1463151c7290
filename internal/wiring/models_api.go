package wiring

import (
	"context"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/metrics"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// modelsAPI adapts an Ollama client to the sidecar's models endpoints.
type modelsAPI struct {
	c      *model.Client
	router model.Router
}

// ModelsAPI is the sidecar's view of cfg's Ollama and task routes (nil when the host is bad).
func (w *Wiring) ModelsAPI(cfg config.Config) metrics.ModelsAPI {
	host, err := config.NormalizeHost(cfg.OllamaHost)
	if err != nil {
		return nil
	}
	c, err := model.New(model.Config{Host: host, ConnectTimeout: cfg.ConnectTimeout})
	if err != nil {
		return nil
	}
	return &modelsAPI{c: c, router: model.Router{Completion: cfg.CompletionModel, Action: cfg.ActionModel, Embed: cfg.EmbedModel}}
}

func (a *modelsAPI) Routes(ctx context.Context) (metrics.Ollama, []metrics.Route) {
	o := metrics.Ollama{Host: a.c.Host()}
	routes := []metrics.Route{}
	for _, ck := range a.c.Doctor(ctx, a.router) {
		if ck.Task == "" {
			o.Reachable, o.Detail = ck.OK, ck.Detail
			continue
		}
		routes = append(routes, metrics.Route{Task: string(ck.Task), Model: ck.Model, Available: ck.OK, Detail: ck.Detail, Fix: ck.Fix})
	}
	return o, routes
}

func (a *modelsAPI) Running(ctx context.Context) ([]metrics.RunningModel, error) {
	rs, err := a.c.Running(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.RunningModel, 0, len(rs))
	for _, r := range rs {
		out = append(out, metrics.RunningModel{Name: r.Name, Size: r.Size, SizeVRAM: r.SizeVRAM, ContextLength: r.ContextLength, ExpiresAt: r.ExpiresAt})
	}
	return out, nil
}
