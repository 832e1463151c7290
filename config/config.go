// Package config holds the one Config struct. Flags, environment variables,
// initializationOptions and workspace/didChangeConfiguration all fill the same fields through
// the table built from the struct tags below, so a setting has one name per source and one default.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/secretfiles"
)

// Config is every setting of mimi-lsp. Tags: json = initializationOptions key, env = environment
// variable, flag = command-line flag, help = description (also printed by `mimi-lsp config`).
type Config struct {
	OllamaHost          string        `json:"ollamaHost" env:"OLLAMA_HOST" flag:"ollama-host" help:"Ollama base URL, read as Ollama's own client reads OLLAMA_HOST: host[:port] (port 11434 when omitted), http://host means port 80, https://host port 443"`
	CompletionModel     string        `json:"completionModel" env:"MIMI_COMPLETION_MODEL" flag:"completion-model" help:"model for completion and inline completion (FIM)"`
	ActionModel         string        `json:"actionModel" env:"MIMI_ACTION_MODEL" flag:"action-model" help:"model for code actions"`
	EmbedModel          string        `json:"embedModel" env:"MIMI_EMBED_MODEL" flag:"embed-model" help:"model for workspace embeddings"`
	FIMTemplate         string        `json:"fimTemplate" env:"MIMI_FIM_TEMPLATE" flag:"fim-template" help:"FIM prompt format: auto (from the model name), qwen, qwen-repo, deepseek, codellama, starcoder2, codegemma, codestral"`
	NumCtx              int           `json:"numCtx" env:"MIMI_NUM_CTX" flag:"num-ctx" help:"context window sent as num_ctx (pinned: changing it reloads the model)"`
	NumPredict          int           `json:"numPredict" env:"MIMI_NUM_PREDICT" flag:"num-predict" help:"most tokens generated per completion"`
	Temperature         float64       `json:"temperature" env:"MIMI_TEMPERATURE" flag:"temperature" help:"sampling temperature for completions"`
	TopP                float64       `json:"topP" env:"MIMI_TOP_P" flag:"top-p" help:"nucleus sampling top_p for completions"`
	KeepAlive           time.Duration `json:"keepAlive" env:"MIMI_KEEP_ALIVE" flag:"keep-alive" help:"how long Ollama keeps the model loaded after a request"`
	PrefixTokens        int           `json:"prefixTokens" env:"MIMI_PREFIX_TOKENS" flag:"prefix-tokens" help:"token budget for text before the cursor"`
	SuffixTokens        int           `json:"suffixTokens" env:"MIMI_SUFFIX_TOKENS" flag:"suffix-tokens" help:"token budget for text after the cursor"`
	MultiLine           bool          `json:"multiLine" env:"MIMI_MULTI_LINE" flag:"multi-line" help:"allow multi-line suggestions when the cursor is at the end of a line"`
	MaxLines            int           `json:"maxLines" env:"MIMI_MAX_LINES" flag:"max-lines" help:"most lines in a multi-line suggestion"`
	Timeout             time.Duration `json:"timeout" env:"MIMI_TIMEOUT" flag:"timeout" help:"deadline for one completion (model call included)"`
	ConnectTimeout      time.Duration `json:"connectTimeout" env:"MIMI_CONNECT_TIMEOUT" flag:"connect-timeout" help:"deadline for connecting to Ollama"`
	CacheMaxBytes       int64         `json:"cacheMaxBytes" env:"MIMI_CACHE_MAX_BYTES" flag:"cache-max-bytes" help:"memory cache size in bytes"`
	CompletionTTL       time.Duration `json:"completionTTL" env:"MIMI_COMPLETION_TTL" flag:"completion-ttl" help:"how long a cached completion stays valid"`
	EmbeddingTTL        time.Duration `json:"embeddingTTL" env:"MIMI_EMBEDDING_TTL" flag:"embedding-ttl" help:"how long a cached embedding stays valid"`
	RedisURL            string        `json:"redisURL" env:"MIMI_REDIS_URL" flag:"redis-url" help:"shared cache: redis://[user:pass@]host:port[/db], rediss:// for TLS, several hosts for Cluster, ?master=NAME for Sentinel; empty = memory only"`
	RedisTimeout        time.Duration `json:"redisTimeout" env:"MIMI_REDIS_TIMEOUT" flag:"redis-timeout" help:"deadline for one Redis operation on the completion path (then the memory tier and the model answer)"`
	RedisNamespace      string        `json:"redisNamespace" env:"MIMI_REDIS_NAMESPACE" flag:"redis-namespace" help:"key prefix in Redis: keys are NAMESPACE:v1:KIND:SHA256; cache clear deletes only these"`
	CacheScope          string        `json:"cacheScope" env:"MIMI_CACHE_SCOPE" flag:"cache-scope" help:"part of every cache key: empty = the workspace folder (projects never share answers); the same value on several machines (e.g. a team name) shares them"`
	ActionTTL           time.Duration `json:"actionTTL" env:"MIMI_ACTION_TTL" flag:"action-ttl" help:"how long a cached code action answer stays valid"`
	LogLevel            string        `json:"logLevel" env:"MIMI_LOG_LEVEL" flag:"log-level" help:"debug, info, warn or error (logs go to stderr)"`
	RedisConnectTimeout time.Duration `json:"redisConnectTimeout" env:"MIMI_REDIS_CONNECT_TIMEOUT" flag:"redis-connect-timeout" help:"deadline for dialing Redis (TLS handshake included), separate from redisTimeout; connections are warmed at start"`
	CacheSecret         string        `json:"cacheSecret" env:"MIMI_CACHE_SECRET" flag:"cache-secret" help:"team secret: values written to Redis are signed (HMAC-SHA256) and unsigned or badly signed values are ignored; empty = no signing"`
	SecretFiles         string        `json:"secretFiles" env:"MIMI_SECRET_FILES" flag:"secret-files" help:"extra comma-separated globs of files that never reach a model, index or cache (added to the built-in denylist: .env*, *.pem, *.key, id_rsa*, .ssh/, …)"`
	NumParallel         int           `json:"numParallel" env:"MIMI_NUM_PARALLEL" flag:"num-parallel" help:"model calls run at once per model (match Ollama's OLLAMA_NUM_PARALLEL); more wait in a priority queue"`
	Indexing            bool          `json:"indexing" env:"MIMI_INDEXING" flag:"indexing" help:"index the workspace folders through the embedding model on open, for retrieval (mimi.search)"`
	IndexMaxFileSize    int64         `json:"indexMaxFileSize" env:"MIMI_INDEX_MAX_FILE_SIZE" flag:"index-max-file-size" help:"files larger than this many bytes are not indexed"`
	SnippetTokens       int           `json:"snippetTokens" env:"MIMI_SNIPPET_TOKENS" flag:"snippet-tokens" help:"token budget for code from other files (retrieved from the workspace index) in completion prompts; 0 = none"`
	IndexIgnore         string        `json:"indexIgnore" env:"MIMI_INDEX_IGNORE" flag:"index-ignore" help:"extra comma-separated .gitignore-style patterns of files not to index (besides .gitignore, .mimiignore, the secret denylist and the built-in skips)"`
	ActionTimeout       time.Duration `json:"actionTimeout" env:"MIMI_ACTION_TIMEOUT" flag:"action-timeout" help:"deadline for one code action (the big model can take minutes; the user can cancel sooner)"`
	ActionNumCtx        int           `json:"actionNumCtx" env:"MIMI_ACTION_NUM_CTX" flag:"action-num-ctx" help:"context window sent as num_ctx with code actions"`
	ActionNumPredict    int           `json:"actionNumPredict" env:"MIMI_ACTION_NUM_PREDICT" flag:"action-num-predict" help:"most tokens a code action's answer may have"`
	MetricsAddr         string        `json:"metricsAddr" env:"MIMI_METRICS_ADDR" flag:"metrics-addr" help:"sidecar HTTP server (Prometheus /metrics, /healthz, /api/cache/*) host:port, loopback by default; a taken port gives a free one; off = none. initializationOptions and didChangeConfiguration move it (stdio only; over --listen it is the command line's)"`
	MetricsTargetsDir   string        `json:"metricsTargetsDir" env:"MIMI_METRICS_TARGETS_DIR" flag:"metrics-targets-dir" help:"directory where each running server writes its sidecar address for Prometheus file_sd (mimi-lsp-PID.json); empty = <user cache dir>/mimi-lsp/targets; off = none"`
	MetricsToken        string        `json:"metricsToken" env:"MIMI_METRICS_TOKEN" flag:"metrics-token" help:"bearer token the sidecar's changing endpoints (POST /api/cache/clear) require; empty = loopback clients only"`
	ActionExplain       string        `json:"actionExplain" env:"MIMI_ACTION_EXPLAIN" flag:"action-explain" help:"where an explanation goes: message (window/showMessage) or document (a Markdown file opened with window/showDocument, when the editor supports it)"`
	ActionFallback      string        `json:"actionFallback" env:"MIMI_ACTION_FALLBACK" flag:"action-fallback" help:"when actionModel is not pulled: completion-model (run actions on completionModel) or hide (offer no actions)"`
	CompletionItems     string        `json:"completionItems" env:"MIMI_COMPLETION_ITEMS" flag:"completion-items" help:"AI suggestions as textDocument/completion items: auto (only when the editor has no inline completion, e.g. Helix, Neovim < 0.12), on, or off"`
	CompletionRank      string        `json:"completionRank" env:"MIMI_COMPLETION_RANK" flag:"completion-rank" help:"where the AI completion item sorts among the language server's: top or after (never preselected)"`
	Debounce            time.Duration `json:"debounce" env:"MIMI_DEBOUNCE" flag:"debounce" help:"wait this long after a keystroke before asking the model (cache hits and typing-ahead answer at once); a newer keystroke cancels the wait; 0 = none"`
	DebounceAdaptive    bool          `json:"debounceAdaptive" env:"MIMI_DEBOUNCE_ADAPTIVE" flag:"debounce-adaptive" help:"while the user is typing, wait half again their recent gap between keystrokes (between debounce and 4× debounce) so their next key lands inside the wait; debounce after a pause"`
}

// MaxActionTimeout is the longest actionTimeout accepted; the HTTP client to a model host
// allows one exchange at least this long, so it never cuts an action short.
const MaxActionTimeout = time.Hour

// Default returns the defaults.
func Default() Config {
	return Config{
		OllamaHost:          "http://127.0.0.1:11434",
		CompletionModel:     "qwen2.5-coder:1.5b",
		ActionModel:         "qwen3-coder:30b",
		EmbedModel:          "nomic-embed-text",
		FIMTemplate:         "auto",
		NumCtx:              4096,
		NumPredict:          128,
		Temperature:         0.2,
		TopP:                0.9,
		KeepAlive:           30 * time.Minute,
		PrefixTokens:        1536,
		SuffixTokens:        512,
		MultiLine:           true,
		MaxLines:            12,
		Timeout:             10 * time.Second,
		ConnectTimeout:      2 * time.Second,
		CacheMaxBytes:       64 << 20,
		CompletionTTL:       time.Hour,
		EmbeddingTTL:        24 * time.Hour,
		RedisTimeout:        30 * time.Millisecond,
		RedisNamespace:      "mimi",
		ActionTTL:           24 * time.Hour,
		ActionTimeout:       5 * time.Minute,
		ActionNumCtx:        16384,
		ActionNumPredict:    2048,
		ActionFallback:      "completion-model",
		CompletionItems:     "auto",
		CompletionRank:      "top",
		Debounce:            0,
		DebounceAdaptive:    false,
		ActionExplain:       "message",
		MetricsAddr:         "127.0.0.1:9464",
		LogLevel:            "info",
		RedisConnectTimeout: time.Second,
		NumParallel:         1,
		Indexing:            true,
		IndexMaxFileSize:    1 << 20,
		SnippetTokens:       1024,
	}
}

// FIMTemplates are the accepted values of FIMTemplate.
var FIMTemplates = []string{"auto", "qwen", "qwen-repo", "deepseek", "codellama", "starcoder2", "codegemma", "codestral"}

// Validate reports every invalid value at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(name string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	if _, err := NormalizeHost(c.OllamaHost); err != nil {
		bad("ollamaHost", "%v", err)
	}
	for name, m := range map[string]string{"completionModel": c.CompletionModel, "actionModel": c.ActionModel, "embedModel": c.EmbedModel} {
		if strings.TrimSpace(m) == "" {
			bad(name, "must not be empty")
		}
	}
	if !contains(FIMTemplates, c.FIMTemplate) {
		bad("fimTemplate", "%q is not one of %s", c.FIMTemplate, strings.Join(FIMTemplates, ", "))
	}
	if c.NumCtx < 256 || c.NumCtx > 1<<20 {
		bad("numCtx", "%d is out of range 256..1048576", c.NumCtx)
	}
	if c.NumPredict < 1 || c.NumPredict > 4096 {
		bad("numPredict", "%d is out of range 1..4096", c.NumPredict)
	}
	if c.Temperature < 0 || c.Temperature > 2 {
		bad("temperature", "%v is out of range 0..2", c.Temperature)
	}
	if c.TopP <= 0 || c.TopP > 1 {
		bad("topP", "%v is out of range (0, 1]", c.TopP)
	}
	if c.PrefixTokens < 1 || c.SuffixTokens < 0 {
		bad("prefixTokens/suffixTokens", "must be positive (got %d/%d)", c.PrefixTokens, c.SuffixTokens)
	}
	if c.SnippetTokens < 0 {
		bad("snippetTokens", "must not be negative")
	}
	if n := c.PrefixTokens + c.SuffixTokens + c.SnippetTokens + c.NumPredict; n > c.NumCtx {
		bad("prefixTokens+suffixTokens+snippetTokens+numPredict", "%d exceeds numCtx %d (Ollama would cut the prompt from the front)",
			n, c.NumCtx)
	}
	if c.MaxLines < 1 {
		bad("maxLines", "must be at least 1")
	}
	if c.Timeout <= 0 || c.ConnectTimeout <= 0 {
		bad("timeout/connectTimeout", "must be positive")
	}
	if c.Timeout > 5*time.Minute || c.ConnectTimeout > time.Minute {
		bad("timeout/connectTimeout", "%s/%s is too long (at most 5m/1m)", c.Timeout, c.ConnectTimeout)
	}
	if c.KeepAlive < 0 {
		bad("keepAlive", "must not be negative")
	}
	if c.CacheMaxBytes < 0 {
		bad("cacheMaxBytes", "must not be negative")
	}
	if c.CompletionTTL <= 0 || c.EmbeddingTTL <= 0 || c.ActionTTL <= 0 {
		bad("completionTTL/embeddingTTL/actionTTL", "must be positive")
	}
	if c.ActionTimeout <= 0 || c.ActionTimeout > MaxActionTimeout {
		bad("actionTimeout", "must be between 0 and 1h")
	}
	if c.ActionNumCtx < 2048 || c.ActionNumPredict < 64 || c.ActionNumPredict >= c.ActionNumCtx {
		bad("actionNumCtx/actionNumPredict", "need actionNumCtx ≥ 2048 and 64 ≤ actionNumPredict < actionNumCtx")
	}
	if c.MetricsAddr != "off" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("metricsAddr", "must be host:port (e.g. 127.0.0.1:9464) or off")
		}
	}
	if c.ActionExplain != "message" && c.ActionExplain != "document" {
		bad("actionExplain", "must be message or document")
	}
	if c.CompletionItems != "auto" && c.CompletionItems != "on" && c.CompletionItems != "off" {
		bad("completionItems", "must be auto, on or off")
	}
	if c.CompletionRank != "top" && c.CompletionRank != "after" {
		bad("completionRank", "must be top or after")
	}
	if c.Debounce < 0 || c.Debounce > 2*time.Second {
		bad("debounce", "must be between 0 and 2s")
	}
	if c.ActionFallback != "completion-model" && c.ActionFallback != "hide" {
		bad("actionFallback", "must be completion-model or hide")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("redisURL", "must start with redis:// or rediss://")
	}
	if c.RedisTimeout <= 0 || c.RedisTimeout > 5*time.Second {
		bad("redisTimeout", "%s is out of range (0, 5s]", c.RedisTimeout)
	}
	if strings.TrimSpace(c.RedisNamespace) == "" || strings.ContainsAny(c.RedisNamespace, " *?[]") {
		bad("redisNamespace", "%q must be non-empty without spaces or glob characters", c.RedisNamespace)
	}
	if c.RedisConnectTimeout <= 0 || c.RedisConnectTimeout > time.Minute {
		bad("redisConnectTimeout", "%s is out of range (0, 1m]", c.RedisConnectTimeout)
	}
	if c.IndexMaxFileSize < 1 || c.IndexMaxFileSize > 64<<20 {
		bad("indexMaxFileSize", "%d is out of range 1..67108864", c.IndexMaxFileSize)
	}
	if c.NumParallel < 1 || c.NumParallel > 64 {
		bad("numParallel", "%d is out of range 1..64", c.NumParallel)
	}
	if _, err := secretfiles.New(secretfiles.Split(c.SecretFiles)); err != nil {
		bad("secretFiles", "%v", err)
	}
	if !contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("logLevel", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return errors.Join(errs...)
}

// NormalizeHost turns an OLLAMA_HOST value into a base URL by exactly the rules of Ollama's own
// client (github.com/ollama/ollama/envconfig.Host), so one value means the same server to
// `ollama` and to mimi-lsp, whether it comes from the environment, a flag or the editor:
// no scheme → http and port 11434; "http://host" → port 80; "https://host" → port 443; a path
// is kept; surrounding spaces and quotes are dropped; an invalid port falls back to the default.
// Schemes other than http and https are refused.
func NormalizeHost(h string) (string, error) {
	s := strings.TrimSpace(strings.Trim(strings.TrimSpace(h), "\"'"))
	defaultPort := "11434"
	scheme, hostport, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		scheme, hostport = "http", s
		if s == "ollama.com" {
			scheme, hostport = "https", "ollama.com:443"
		}
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	default:
		return "", fmt.Errorf("unsupported scheme %q (use http or https)", scheme)
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = "127.0.0.1", defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	if n, err := strconv.ParseInt(port, 10, 32); err != nil || n > 65535 || n < 0 {
		port = defaultPort
	}
	if strings.ContainsAny(host, " /?#@") {
		return "", fmt.Errorf("cannot parse %q as host[:port]", h)
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port), Path: path}
	if _, err := url.Parse(u.String()); err != nil {
		return "", fmt.Errorf("cannot parse %q as host[:port]: %w", h, err)
	}
	return u.String(), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
