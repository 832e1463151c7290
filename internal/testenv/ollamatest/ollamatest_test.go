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

// TestTinyActionModelChats: the action model answers any chat (through its ChatML template)
// with ActionAnswer; the slow one goes on streaming until num_predict.
func TestTinyActionModelChats(t *testing.T) {
	s := StartT(t)
	chat := func(model string, predict int) (string, int) {
		body, _ := json.Marshal(map[string]any{
			"model":    model,
			"messages": []map[string]string{{"role": "system", "content": "be brief"}, {"role": "user", "content": "write add\nplease"}},
			"stream":   true,
			"options":  map[string]any{"temperature": 0, "num_predict": predict, "num_ctx": 4096},
		})
		resp, err := http.Post(s.URL+"/api/chat", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var text strings.Builder
		lines := 0
		dec := json.NewDecoder(resp.Body)
		for {
			var m struct {
				Message struct{ Content string } `json:"message"`
				Error   string                   `json:"error"`
			}
			if err := dec.Decode(&m); err != nil {
				break
			}
			if m.Error != "" {
				t.Fatalf("%s: %s\nlog: %s", model, m.Error, s.Tail())
			}
			text.WriteString(m.Message.Content)
			lines++
		}
		return text.String(), lines
	}
	if got, _ := chat(ActionModel, 64); got != ActionAnswer {
		t.Fatalf("action model answered %q, want %q\nlog: %s", got, ActionAnswer, s.Tail())
	}
	got, lines := chat(SlowActionModel, 200)
	if !strings.HasPrefix(got, ActionAnswer) || lines < 150 {
		t.Fatalf("slow model: %d pieces, %d bytes: %q…", lines, len(got), got[:min(len(got), 80)])
	}
}
