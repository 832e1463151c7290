package ollamatest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTinyModelAnswersFIM checks the generated model through the real server: a raw FIM prompt
// yields exactly Answer, and the completion model has the insert capability.
func TestTinyModelAnswersFIM(t *testing.T) {
	s := StartT(t)
	body, _ := json.Marshal(map[string]any{
		"model":   CompletionModel,
		"prompt":  "<|fim_prefix|>func add(a, b int) int {\n\treturn <|fim_suffix|>\n}\n<|fim_middle|>",
		"raw":     true,
		"stream":  false,
		"options": map[string]any{"temperature": 0, "num_predict": 16, "num_ctx": 2048},
	})
	resp, err := http.Post(s.URL+"/api/generate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Response string `json:"response"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d body %s err %v\nlog: %s", resp.StatusCode, b, err, s.Tail())
	}
	if out.Response != Answer {
		t.Fatalf("response %q, want %q", out.Response, Answer)
	}

	body, _ = json.Marshal(map[string]any{"model": CompletionModel})
	resp2, err := http.Post(s.URL+"/api/show", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	b, _ = io.ReadAll(resp2.Body)
	if !strings.Contains(string(b), `"insert"`) {
		t.Fatalf("completion model lacks insert capability: %s", b)
	}
}
