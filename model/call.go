package model

import (
	"errors"
	"sync"
)

// Call is one model call as its owner sees it: the task it serves (which sets its priority)
// and whether anyone still wants its answer. A Call is for one Generate.
type Call struct {
	task Task

	mu        sync.Mutex
	idle      bool
	abandoned bool
	s         *Scheduler
	t         *ticket
}

// NewCall returns the handle for one call serving task.
func NewCall(task Task) *Call { return &Call{task: task} }

// Task returns the task the call serves.
func (c *Call) Task() Task { return c.task }

// SetIdle marks the call idle (nobody waits for its answer; it runs on for a grace period in
// case someone comes back for it) or wanted again. An idle call is cancelled at once when a
// wanted call for its model waits for a slot. SetIdle reports false when the call was already
// cancelled that way: its answer will not come.
func (c *Call) SetIdle(idle bool) bool {
	c.mu.Lock()
	if c.abandoned {
		c.mu.Unlock()
		return false
	}
	c.idle = idle
	s, t := c.s, c.t
	c.mu.Unlock()
	if s != nil {
		// A call that turned idle may now be cancelled for a waiting one; a waiting call that
		// is wanted again may now cancel idle ones.
		s.mu.Lock()
		if q := s.models[t.model]; q != nil {
			s.abandonIdleLocked(q)
		}
		s.dispatchAllLocked() // an idle completion no longer holds embedding batches back
		s.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.abandoned
}

var errCallReused = errors.New("a model.Call serves one call only")

// attach ties the call to its ticket when it is submitted.
func (c *Call) attach(s *Scheduler, t *ticket) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t != nil {
		return errCallReused
	}
	c.s, c.t = s, t
	return nil
}

func (c *Call) isIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle && !c.abandoned
}

// abandonIfIdle marks an idle call abandoned; false when it is wanted or already abandoned.
func (c *Call) abandonIfIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.idle || c.abandoned {
		return false
	}
	c.abandoned = true
	return true
}
