package config

import (
	"flag"
	"github.com/ollama/ollama/envconfig"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSourcesFillTheSameFields(t *testing.T) {
	c := Default()
	env := map[string]string{"OLLAMA_HOST": "gpu-box", "MIMI_NUM_PREDICT": "64", "MIMI_TIMEOUT": "3s", "MIMI_MULTI_LINE": "false"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"--temperature", "0.5", "--keep-alive", "5m"}); err != nil {
		t.Fatal(err)
	}
	unknown, err := c.ApplyJSON([]byte(`{"completionModel":"deepseek-coder:6.7b","numCtx":8192,"fimTemplate":"deepseek","surprise":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(unknown) != 1 || unknown[0] != "surprise" {
		t.Errorf("unknown = %v", unknown)
	}
	want := Default()
	want.OllamaHost, want.NumPredict, want.Timeout, want.MultiLine = "gpu-box", 64, 3*time.Second, false
	want.Temperature, want.KeepAlive = 0.5, 5*time.Minute
	want.CompletionModel, want.NumCtx, want.FIMTemplate = "deepseek-coder:6.7b", 8192, "deepseek"
	if c != want {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	// Nested under "mimi" beside other servers' sections: only mimi's is read, the others are
	// not unknown keys.
	if unknown, err := c.ApplyJSON([]byte(`{"gopls":{"staticcheck":true},"mimi":{"maxLines":4}}`)); err != nil || c.MaxLines != 4 || len(unknown) != 0 {
		t.Fatalf("mimi beside gopls: %v, maxLines %d, unknown %v", err, c.MaxLines, unknown)
	}
	if unknown, _ := c.ApplyJSON([]byte(`{"mimi":{"maxLinez":4}}`)); len(unknown) != 1 || unknown[0] != "maxLinez" {
		t.Fatalf("unknown key under mimi: %v", unknown)
	}
	// Nested under "mimi" (editor settings sections) works too.
	if _, err := c.ApplyJSON([]byte(`{"mimi":{"maxLines":3}}`)); err != nil || c.MaxLines != 3 {
		t.Errorf("nested settings: %v %d", err, c.MaxLines)
	}
}

func TestInvalidValuesAreNamed(t *testing.T) {
	c := Default()
	if _, err := c.ApplyJSON([]byte(`{"numCtx":"lots","timeout":{"a":1}}`)); err == nil ||
		!strings.Contains(err.Error(), "numCtx") || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("type errors = %v", err)
	}
	c = Default()
	c.NumPredict, c.FIMTemplate, c.Temperature, c.OllamaHost = 0, "gpt", 7, "ftp://x"
	err := c.Validate()
	for _, name := range []string{"numPredict", "fimTemplate", "temperature", "ollamaHost"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Validate does not name %s: %v", name, err)
		}
	}
	if err := c.ApplyEnv(func(k string) (string, bool) { return "x", k == "MIMI_NUM_CTX" }); err == nil || !strings.Contains(err.Error(), "MIMI_NUM_CTX") {
		t.Errorf("env error = %v", err)
	}
}

// TestNormalizeHostMatchesOllama runs Ollama's own envconfig test cases through NormalizeHost
// and through envconfig.Host itself: a value must mean the same server to both.
func TestNormalizeHostMatchesOllama(t *testing.T) {
	cases := map[string]string{
		"":                           "http://127.0.0.1:11434",
		"1.2.3.4":                    "http://1.2.3.4:11434",
		":1234":                      "http://:1234",
		"1.2.3.4:1234":               "http://1.2.3.4:1234",
		"example.com":                "http://example.com:11434",
		"example.com:1234":           "http://example.com:1234",
		":0":                         "http://:0",
		":66000":                     "http://:11434",
		":-1":                        "http://:11434",
		"[::1]":                      "http://[::1]:11434",
		"[::]":                       "http://[::]:11434",
		"::1":                        "http://[::1]:11434",
		"[::1]:1337":                 "http://[::1]:1337",
		" 1.2.3.4 ":                  "http://1.2.3.4:11434",
		"\"1.2.3.4\"":                "http://1.2.3.4:11434",
		" \" 1.2.3.4 \" ":            "http://1.2.3.4:11434",
		"'1.2.3.4'":                  "http://1.2.3.4:11434",
		"http://1.2.3.4":             "http://1.2.3.4:80",
		"http://1.2.3.4:4321":        "http://1.2.3.4:4321",
		"https://1.2.3.4":            "https://1.2.3.4:443",
		"https://1.2.3.4:4321":       "https://1.2.3.4:4321",
		"https://example.com/ollama": "https://example.com:443/ollama",
		"ollama.com":                 "https://ollama.com:443",
		// The compose pitfall FACTS.md names: http://host means port 80, as in Ollama.
		"http://ollama":       "http://ollama:80",
		"http://ollama:11434": "http://ollama:11434",
		"localhost":           "http://localhost:11434",
	}
	for in, want := range cases {
		got, err := NormalizeHost(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
		t.Setenv("OLLAMA_HOST", in)
		if o := envconfig.Host().String(); o != got {
			t.Errorf("%q: Ollama's client dials %s, mimi-lsp %s", in, o, got)
		}
	}
	for _, bad := range []string{"ftp://x", "unix:///run/ollama.sock"} {
		if got, err := NormalizeHost(bad); err == nil {
			t.Errorf("NormalizeHost(%q) = %q, want an error", bad, got)
		}
	}
}

// TestUsageNeverShowsSecretsFromTheEnvironment: --help (and every flag error) prints usage to
// stderr, which editors keep in their LSP logs.
func TestUsageNeverShowsSecretsFromTheEnvironment(t *testing.T) {
	c := Default()
	env := map[string]string{"MIMI_REDIS_URL": "redis://:hunter2@cache:6379", "MIMI_CACHE_SECRET": "topsecret"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	c.RegisterFlags(fs)
	fs.PrintDefaults()
	if u := out.String(); strings.Contains(u, "hunter2") || strings.Contains(u, "topsecret") || !strings.Contains(u, "redis-url") {
		t.Fatalf("usage shows a secret from the environment:\n%s", u)
	}
}
