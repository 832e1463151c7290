package wiring

import (
	"context"

	"github.com/mimi-lsp/mimi-lsp/config"
	"github.com/mimi-lsp/mimi-lsp/metrics"
	"github.com/mimi-lsp/mimi-lsp/model"
)

// ModelsAPI adapts an Ollama client to the sidecar's models endpoints (metrics.ModelsAPI).
type ModelsAPI struct {
	c      *model.Client
	router model.Router
}

// ModelsAPI is the sidecar's view of cfg's Ollama and task routes (nil when the host is bad).
// Close releases its connections.
func (w *Wiring) ModelsAPI(cfg config.Config) *ModelsAPI {
	host, err := config.NormalizeHost(cfg.OllamaHost)
	if err != nil {
		return nil
	}
	c, err := model.New(model.Config{Host: host, ConnectTimeout: cfg.ConnectTimeout})
	if err != nil {
		return nil
	}
	return &ModelsAPI{c: c, router: model.Router{Completion: cfg.CompletionModel, Action: cfg.ActionModel, Embed: cfg.EmbedModel}}
}

// Close releases the client's idle connections (nil-safe).
func (a *ModelsAPI) Close() {
	if a != nil {
		a.c.Close()
	}
}

var _ metrics.ModelsAPI = (*ModelsAPI)(nil)

func (a *ModelsAPI) Routes(ctx context.Context) (metrics.Ollama, []metrics.Route) {
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

func (a *ModelsAPI) Running(ctx context.Context) ([]metrics.RunningModel, error) {
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
