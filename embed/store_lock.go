package embed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Cross-process safety of an index directory (two editor processes on one workspace).
//
//   - index.lock guards the file itself: Save holds it exclusively while it writes and renames,
//     Load holds it shared while it reads. Both wait (polling every 10 ms) until ctx ends. The
//     rename is atomic anyway; the lock keeps two savers from interleaving and a loader from
//     reading while a saver is between its temp file and the rename on systems where that matters.
//   - writer.lock is held for a process's lifetime by the one process that indexes and saves
//     (ClaimWriter). The second process gets ErrClaimed and runs read-only: it Loads the index
//     the first one keeps fresh, searches it, and never saves (it may Load again later, e.g. on
//     a re-index command, to pick up the writer's progress).

const (
	indexFile  = "index.bin"
	lockFile   = "index.lock"
	writerFile = "writer.lock"
	lockPoll   = 10 * time.Millisecond
)

// ErrClaimed reports that another process owns the index directory for writing.
var ErrClaimed = errors.New("embed: index is owned by another process")

// WriterClaim is this process's ownership of an index directory.
type WriterClaim struct{ fl *flock.Flock }

// ClaimWriter makes this process the index directory's writer without waiting; ErrClaimed when
// another process already is.
func ClaimWriter(dir string) (*WriterClaim, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embed: claim index %s: %w", dir, err)
	}
	fl := flock.New(filepath.Join(dir, writerFile))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("embed: claim index %s: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("embed: claim index %s: %w", dir, ErrClaimed)
	}
	return &WriterClaim{fl: fl}, nil
}

// Release gives up the claim.
func (c *WriterClaim) Release() error {
	if err := c.fl.Unlock(); err != nil {
		return fmt.Errorf("embed: release index claim: %w", err)
	}
	return nil
}

// lockDir takes index.lock, shared or exclusive, waiting until ctx ends.
func lockDir(ctx context.Context, dir string, exclusive bool) (*flock.Flock, error) {
	fl := flock.New(filepath.Join(dir, lockFile))
	var ok bool
	var err error
	if exclusive {
		ok, err = fl.TryLockContext(ctx, lockPoll)
	} else {
		ok, err = fl.TryRLockContext(ctx, lockPoll)
	}
	if err != nil {
		return nil, fmt.Errorf("embed: lock %s: %w", fl.Path(), err)
	}
	if !ok {
		return nil, fmt.Errorf("embed: lock %s: not acquired", fl.Path())
	}
	return fl, nil
}
