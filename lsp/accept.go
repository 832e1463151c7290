package lsp

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/mimi-lsp/mimi-lsp/completion"
)

// CommandAccepted is the command every shown suggestion carries: the editor runs it when the
// user accepts the suggestion (VS Code and Neovim 0.12 for inline items, nvim-cmp and the
// shipped Neovim config for completion items), so acceptance can be counted. Only an id
// travels: no text of the suggestion leaves the process.
const CommandAccepted = "mimi.accepted"

// Acceptor is told which shown suggestion the user accepted (the service uses it as a
// signal, e.g. to keep that suggestion's typing-ahead state).
type Acceptor interface {
	Accepted(ref completion.Ref)
}

// shownMax bounds the suggestions remembered for attribution: an accept arrives within
// seconds of its suggestion, long before 256 newer ones were shown.
const shownMax = 256

// shownRing remembers the last suggestions shown, by id, for the accept command. A suggestion
// continued by typing-ahead (or served again at the same place) keeps its id and is counted
// as shown once.
type shownRing struct {
	mu    sync.Mutex
	next  uint64
	byID  map[uint64]*shownEntry
	byRef map[uint64]uint64 // the engine's suggestion id (Ref.ID) → our id
	order []uint64          // oldest first
}

type shownEntry struct {
	source, model string
	ref           completion.Ref
	accepted      bool
}

// add records a suggestion about to be shown and returns its id; fresh is false when the same
// suggestion was shown before (it keeps its id).
func (s *shownRing) add(e *shownEntry) (id uint64, fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID, s.byRef = map[uint64]*shownEntry{}, map[uint64]uint64{}
	}
	if ref := e.ref.ID(); ref != 0 {
		if id, ok := s.byRef[ref]; ok {
			return id, false
		}
	}
	s.next++
	id = s.next
	s.byID[id] = e
	if ref := e.ref.ID(); ref != 0 {
		s.byRef[ref] = id
	}
	s.order = append(s.order, id)
	if len(s.order) > shownMax {
		old := s.order[0]
		if ref := s.byID[old].ref.ID(); ref != 0 && s.byRef[ref] == old {
			delete(s.byRef, ref)
		}
		delete(s.byID, old)
		s.order = s.order[1:]
	}
	return id, true
}

// accept marks id accepted; ok is false for an unknown (forgotten) id or a second accept.
func (s *shownRing) accept(id uint64) (shownEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok || e.accepted {
		return shownEntry{}, false
	}
	e.accepted = true
	return *e, true
}

// acceptCommand returns the command a suggestion carries, after counting it as shown.
// An editor known never to run an item's command (Helix) gets none, and its suggestions are
// not counted: shown without a way to be accepted would only lower the acceptance rate.
func (s *Server) acceptCommand(res completion.Result) *protocol.Command {
	s.mu.Lock()
	runs := !s.clientNoCommands
	s.mu.Unlock()
	if !runs {
		return nil
	}
	id, fresh := s.shown.add(&shownEntry{source: string(res.Source), model: res.Model, ref: res.Ref})
	if fresh && s.opts.Observer != nil {
		s.opts.Observer.Suggestion("shown", string(res.Source), res.Model)
	}
	return &protocol.Command{Title: "mimi: suggestion accepted", Command: CommandAccepted, Arguments: []any{strconv.FormatUint(id, 10)}}
}

// accepted handles the accept command: counted once per suggestion; an id the server no
// longer knows (a restart, or hundreds of suggestions later) is ignored without an error.
func (s *Server) accepted(ctx context.Context, reply jsonrpc2.Replier, args []json.RawMessage) error {
	var raw string
	if len(args) == 1 {
		if json.Unmarshal(args[0], &raw) != nil {
			var n uint64
			if json.Unmarshal(args[0], &n) == nil {
				raw = strconv.FormatUint(n, 10)
			}
		}
	}
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return s.replyErr(ctx, reply, jsonrpc2.Errorf(jsonrpc2.InvalidParams, `%s takes ["<id>"] (the id the suggestion carried)`, CommandAccepted))
	}
	e, ok := s.shown.accept(id)
	if !ok {
		s.log.Debug("accept of an unknown or already accepted suggestion", "id", id)
		return s.reply(ctx, reply, nil, nil)
	}
	if s.opts.Observer != nil {
		s.opts.Observer.Suggestion("accepted", e.source, e.model)
	}
	if a, ok := s.svc.(Acceptor); ok {
		a.Accepted(e.ref)
	}
	s.log.Debug("suggestion accepted", "id", id, "source", e.source)
	return s.reply(ctx, reply, nil, nil)
}
