package devnet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotReady means the node did not become ready for queries within the timeout.
var ErrNotReady = errors.New("devnet node not ready")

// ReadyCheck asks the node once whether it is ready: it returns the latest block
// height, or an error saying what is not ready yet.
type ReadyCheck func(ctx context.Context) (height int64, err error)

// WaitReady polls check every interval until it reports a height of at least 1
// without error, and returns that height. Block height alone is not enough: just
// after a restart the node reports its old height while queries still fail with
// "invalid height: context did not contain latest block height" for about half a
// second, so check should also make a real query. After timeout WaitReady returns
// ErrNotReady with the last failure; it returns ctx.Err() if ctx ends first.
func WaitReady(ctx context.Context, timeout, interval time.Duration, check ReadyCheck) (int64, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		h, err := check(ctx)
		switch {
		case err == nil && h >= 1:
			return h, nil
		case err == nil:
			last = fmt.Errorf("no block yet (height %d)", h)
		default:
			last = err
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if !time.Now().Add(interval).Before(deadline) {
			return 0, fmt.Errorf("%w within %s: %v; see the node log", ErrNotReady, timeout, last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(interval):
		}
	}
}
