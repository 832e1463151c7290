package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mimi-lsp/mimi-lsp/internal/testenv/lsptest"
	"github.com/mimi-lsp/mimi-lsp/lsp"
)

// replayer types targets into a running mimi-lsp like an editor: one didChange per keystroke,
// a completion request after each, the previous request cancelled when it is still pending at
// the next keystroke; sometimes a matching suggestion is accepted, sometimes a few characters
// are deleted and retyped.
type replayer struct {
	c       *lsptest.Client
	rng     *rand.Rand
	delay   time.Duration // between keystrokes (how long a pending request may take)
	accept  float64
	retype  float64
	pause   float64 // probability of a thinking pause after a word (space, newline, punctuation)
	maxKeys int
	onFile  func(text string)

	keystrokes  int
	afterAccept int // requests an editor makes right after an accept (not keystrokes)
	accepted    int
	acceptedCh  int // characters inserted by accepting
	answered    []time.Duration
	cancelled   int
	empty       int
	errors      int
}

type pending struct {
	p     *lsptest.Pending
	start time.Time
	done  chan result
}

type result struct {
	list lsptest.CompletionList
	err  error
	took time.Duration
}

func (r *replayer) send(uri string, doc *lsp.Document, off int) *pending {
	pos := doc.PositionOf(off, lsp.UTF16)
	p, err := r.c.Send("textDocument/completion", lsptest.PositionParams(uri, int(pos.Line), int(pos.Character)))
	pd := &pending{p: p, start: time.Now(), done: make(chan result, 1)}
	if err != nil {
		pd.done <- result{err: err}
		return pd
	}
	go func() {
		var res result
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res.err = p.Wait(ctx, &res.list)
		res.took = time.Since(pd.start)
		pd.done <- res
	}()
	return pd
}

// record books a finished request; it returns the suggestion's edit (nil when none).
func (r *replayer) record(res result) *lsptest.CompletionList {
	var rpc *lsptest.RPCError
	switch {
	case errors.As(res.err, &rpc) && rpc.Code == -32800:
		r.cancelled++
	case res.err != nil:
		r.errors++
	default:
		r.answered = append(r.answered, res.took)
		if len(res.list.Items) == 0 {
			r.empty++
			return nil
		}
		return &res.list
	}
	return nil
}

func (r *replayer) change(uri string, version *int, doc *lsp.Document, from, to int, text string) (*lsp.Document, error) {
	s, e := doc.PositionOf(from, lsp.UTF16), doc.PositionOf(to, lsp.UTF16)
	*version++
	err := r.c.DidChange(uri, *version, lsptest.Change{StartLine: int(s.Line), StartChar: int(s.Character), EndLine: int(e.Line), EndChar: int(e.Character), Text: text})
	next := doc.Text[:from] + text + doc.Text[to:]
	return lsp.NewDocument(uri, "go", int32(*version), next), err
}

// typeKey types one character (a whole UTF-8 sequence) of body after its first typed bytes,
// sometimes first deleting a few characters to type them again; it returns the document and
// how much of body is typed now. start is where body begins in the document.
func (r *replayer) typeKey(uri string, version *int, doc *lsp.Document, body string, typed, start int) (*lsp.Document, int, error) {
	var err error
	if typed > 5 && r.rng.Float64() < r.retype {
		n := min(1+r.rng.IntN(5), typed)
		for n < typed && body[typed-n]&0xC0 == 0x80 {
			n++ // delete whole characters
		}
		if doc, err = r.change(uri, version, doc, start+typed-n, start+typed, ""); err != nil {
			return doc, typed, err
		}
		typed -= n
	}
	n := 1
	for typed+n < len(body) && body[typed+n]&0xC0 == 0x80 {
		n++
	}
	cur := start + typed
	if doc, err = r.change(uri, version, doc, cur, cur, body[typed:typed+n]); err != nil {
		return doc, typed, err
	}
	return doc, typed + n, nil
}

// typeTarget types one function body.
func (r *replayer) typeTarget(ctx context.Context, i int, t target) error {
	uri := fmt.Sprintf("file:///bench/%d/%s", i, t.File)
	// The body's place is an empty line, as an editor leaves it after "{" and Enter: the cursor
	// is at a line end, with the closing brace on the next line. That line's break is the
	// body's last, so the typed function ends as the file has it.
	body := strings.TrimSuffix(t.Body(), "\n")
	text := t.Text[:t.BodyStart] + "\n" + t.Text[t.BodyEnd:]
	if r.onFile != nil {
		r.onFile(t.Text)
	}
	if err := r.c.DidOpen(uri, "go", text); err != nil {
		return err
	}
	doc := lsp.NewDocument(uri, "go", 1, text)
	version := 1
	typed := 0 // bytes of body typed so far
	var last *pending
	keys := 0
	afterAccept := false // an editor asks again right after a suggestion is accepted
	for typed < len(body) && keys < r.maxKeys {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if afterAccept {
			afterAccept = false
			r.afterAccept++
		} else {
			var err error
			if doc, typed, err = r.typeKey(uri, &version, doc, body, typed, t.BodyStart); err != nil {
				return err
			}
			keys++
			r.keystrokes++
		}
		if last != nil {
			select {
			case res := <-last.done:
				r.record(res)
			default:
				_ = r.c.Cancel(last.p)
				r.record(<-last.done)
			}
		}
		last = r.send(uri, doc, t.BodyStart+typed)
		wait := r.delay
		if c := body[typed-1]; r.pause > 0 && strings.IndexByte(" \n\t.,;(){}", c) >= 0 && r.rng.Float64() < r.pause {
			wait = 300*time.Millisecond + time.Duration(r.rng.IntN(600))*time.Millisecond // the user stops to think
		}
		var res result
		select {
		case res = <-last.done:
			last = nil
		case <-time.After(wait):
			continue
		}
		list := r.record(res)
		if list == nil || r.rng.Float64() >= r.accept {
			continue
		}
		// Accept the suggestion when it is what the user was about to type.
		edit := list.Items[0].TextEdit
		var rng struct{ Start, End lsp.Position }
		if edit == nil || json.Unmarshal(edit.Range, &rng) != nil {
			continue
		}
		from, err1 := doc.Offset(rng.Start, lsp.UTF16)
		to, err2 := doc.Offset(rng.End, lsp.UTF16)
		if err1 != nil || err2 != nil || to != t.BodyStart+typed {
			continue
		}
		word := doc.Text[from:to]
		if !strings.HasPrefix(edit.NewText, word) {
			continue // an edit that rewrites what was typed is not a continuation
		}
		sugg := edit.NewText[len(word):]
		if sugg == "" || !strings.HasPrefix(body[typed:], sugg) {
			continue
		}
		var err error
		if doc, err = r.change(uri, &version, doc, from, to, edit.NewText); err != nil {
			return err
		}
		typed += len(sugg)
		afterAccept = true
		r.accepted++
		r.acceptedCh += len(sugg)
		if cmd := list.Items[0].Command; cmd != nil {
			// As an editor does after inserting an item: the server counts the accept.
			if err := r.c.Call(ctx, "workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments}, nil); err != nil {
				return err
			}
		}
	}
	if last != nil {
		r.record(<-last.done)
	}
	return r.c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
}
