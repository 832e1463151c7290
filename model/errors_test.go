package model

import (
	"errors"
	"testing"
)

// TestErrorWordsItsProblem: the model layer says what a failure means for the user — which
// need action (error), which pass (warning), which are not the user's to see.
func TestErrorWordsItsProblem(t *testing.T) {
	for kind, want := range map[Kind]struct{ severe, ok bool }{
		KindUnreachable: {true, true}, KindModelMissing: {true, true}, KindBadRequest: {true, true},
		KindOverloaded: {false, true}, KindTimeout: {false, true}, KindServer: {false, true},
		KindCancelled: {false, false}, KindUnknown: {false, false},
	} {
		e := &Error{Kind: kind, Model: "qwen2.5-coder:1.5b", Host: "http://127.0.0.1:11434", Err: errors.New("x")}
		key, msg, severe, ok := e.Problem()
		if ok != want.ok || severe != want.severe || ok && (key != "model:"+kind.String() || msg != e.Hint()) {
			t.Errorf("%s: key %q msg %q severe %v ok %v; want severe %v ok %v", kind, key, msg, severe, ok, want.severe, want.ok)
		}
	}
}
