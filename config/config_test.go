package config

import (
	"flag"
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

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"localhost":                "http://localhost:11434",
		"http://ollama":            "http://ollama:11434",
		"http://ollama:11434":      "http://ollama:11434",
		"127.0.0.1:8080":           "http://127.0.0.1:8080",
		"https://gpu.example/api/": "https://gpu.example:11434/api",
		"::1":                      "",
	} {
		got, err := NormalizeHost(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q: want an error, got %q", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
