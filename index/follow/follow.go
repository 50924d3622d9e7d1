// Package follow keeps an index database (index/store) up to date with a
// chain: it polls a node's CometBFT RPC for new heights, fetches each block
// and its results, decodes them (index/decode) and writes them in batches,
// one database transaction per batch. It backs off while the node is
// unreachable and reports progress.
package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"golang.org/x/sync/errgroup"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/store"
)

// ErrForked means the indexed block at the cursor is not the node's block at
// that height: the database indexes an older chain with the same id.
var ErrForked = errors.New("indexed block differs from the node's")

// Node is the part of a CometBFT RPC client the follower uses.
type Node interface {
	Status(ctx context.Context) (*coretypes.ResultStatus, error)
	Block(ctx context.Context, height *int64) (*coretypes.ResultBlock, error)
	BlockResults(ctx context.Context, height *int64) (*coretypes.ResultBlockResults, error)
}

var _ Node = (rpcclient.Client)(nil)

// Options configure a Follower.
type Options struct {
	// From is the first height to index into an empty database (default:
	// the node's earliest block).
	From int64
	// To stops the follower once this height is indexed (0: follow forever).
	To int64
	// Batch is the most blocks written per transaction (default 50).
	Batch int
	// Fetchers is how many blocks are fetched at once (default 4).
	Fetchers int
	// Poll is how often an up-to-date follower asks for a new height
	// (default 500 ms).
	Poll time.Duration
	// Progress, if set, receives a progress line every ProgressEvery
	// (default 2 s) and a summary at the end.
	Progress      io.Writer
	ProgressEvery time.Duration
	// MaxBackoff caps the wait between retries after a node error (default 10 s).
	MaxBackoff time.Duration
}

func (o *Options) defaults() {
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Fetchers <= 0 {
		o.Fetchers = 4
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
}

// Stats count what a follower has written.
type Stats struct {
	// First and Last are the first and last heights written in this run (0 if none).
	First, Last       int64
	Blocks, Txs, Evts int64
	Elapsed           time.Duration
}

// Follower indexes one node into one store.
type Follower struct {
	node  Node
	store *store.Store
	dec   *decode.Decoder
	opts  Options
	stats Stats
}

// New returns a follower of node into st.
func New(node Node, st *store.Store, dec *decode.Decoder, opts Options) *Follower {
	opts.defaults()
	return &Follower{node: node, store: st, dec: dec, opts: opts}
}

// Stats returns what the follower has written so far.
func (f *Follower) Stats() Stats { return f.stats }

// Run indexes until ctx ends (returning nil) or, with Options.To, until that
// height is written. Node errors are retried with backoff; database errors
// end the run.
func (f *Follower) Run(ctx context.Context) error {
	start := time.Now()
	defer func() { f.stats.Elapsed = time.Since(start) }()
	var st *coretypes.ResultStatus
	if err := f.retry(ctx, "node status", func() (err error) { st, err = f.node.Status(ctx); return err }); err != nil {
		return ignoreCancel(ctx, err)
	}
	if err := f.store.Bind(ctx, st.NodeInfo.Network); err != nil {
		return err
	}
	next, err := f.resumeHeight(ctx, st)
	if err != nil {
		return ignoreCancel(ctx, err)
	}
	lastReport := time.Now()
	reported := f.stats
	for {
		if f.opts.To > 0 && next > f.opts.To {
			f.summary()
			return nil
		}
		latest := st.SyncInfo.LatestBlockHeight
		if next > latest {
			select {
			case <-ctx.Done():
				f.summary()
				return nil
			case <-time.After(f.opts.Poll):
			}
			if err := f.retry(ctx, "node status", func() (err error) { st, err = f.node.Status(ctx); return err }); err != nil {
				f.summary()
				return ignoreCancel(ctx, err)
			}
			continue
		}
		end := min(latest, next+int64(f.opts.Batch)-1)
		if f.opts.To > 0 {
			end = min(end, f.opts.To)
		}
		var blocks []*decode.Block
		if err := f.retry(ctx, fmt.Sprintf("fetch blocks %d-%d", next, end), func() (err error) {
			blocks, err = f.fetch(ctx, next, end)
			return err
		}); err != nil {
			f.summary()
			return ignoreCancel(ctx, err)
		}
		if err := f.store.Write(ctx, blocks); err != nil {
			f.summary()
			return ignoreCancel(ctx, err)
		}
		for _, b := range blocks {
			f.stats.Blocks++
			f.stats.Txs += int64(b.NumTxs)
			f.stats.Evts += int64(b.NumEvents)
		}
		if f.stats.First == 0 {
			f.stats.First = next
		}
		f.stats.Last = end
		next = end + 1
		if f.opts.Progress != nil && time.Since(lastReport) >= f.opts.ProgressEvery {
			secs := time.Since(lastReport).Seconds()
			fmt.Fprintf(f.opts.Progress, "indexed height %d of %d (%.0f blocks/s, %.0f events/s)\n", end, latest,
				float64(f.stats.Blocks-reported.Blocks)/secs, float64(f.stats.Evts-reported.Evts)/secs)
			lastReport, reported = time.Now(), f.stats
		}
	}
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (f *Follower) summary() {
	if f.opts.Progress == nil {
		return
	}
	if f.stats.Blocks == 0 {
		fmt.Fprintln(f.opts.Progress, "indexed no new block")
		return
	}
	fmt.Fprintf(f.opts.Progress, "indexed heights %d-%d: %d blocks, %d txs, %d events\n",
		f.stats.First, f.stats.Last, f.stats.Blocks, f.stats.Txs, f.stats.Evts)
}

// resumeHeight returns the first height to index: after the cursor, once the
// block at the cursor is checked against the node's; else Options.From or
// the node's earliest block.
func (f *Follower) resumeHeight(ctx context.Context, st *coretypes.ResultStatus) (int64, error) {
	cur, _, err := f.store.Cursor(ctx)
	if err != nil {
		return 0, err
	}
	if cur == 0 {
		return max(f.opts.From, st.SyncInfo.EarliestBlockHeight, 1), nil
	}
	hash, ok, err := f.store.BlockHash(ctx, cur)
	if err != nil || !ok {
		return cur + 1, err // reindexed below the first block: nothing to compare
	}
	// One attempt: the node just answered its status, so a failure here is
	// most likely a pruned block, which must not stop the indexer forever.
	b, err := f.node.Block(ctx, &cur)
	if err != nil {
		if f.opts.Progress != nil {
			fmt.Fprintf(f.opts.Progress, "could not check indexed block %d against the node (%v): resuming at %d\n", cur, err, cur+1)
		}
		return cur + 1, nil
	}
	if b.BlockID.Hash.String() != hash {
		return 0, fmt.Errorf("%w: block %d is %s in the index and %s on the node; the chain was reset: index into a new --db, or pass --reindex-from 1",
			ErrForked, cur, hash, b.BlockID.Hash)
	}
	return cur + 1, nil
}

// fetch gets and decodes blocks from..to, Fetchers at a time, in order.
func (f *Follower) fetch(ctx context.Context, from, to int64) ([]*decode.Block, error) {
	out := make([]*decode.Block, to-from+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opts.Fetchers)
	for h := from; h <= to; h++ {
		g.Go(func() error {
			b, err := f.node.Block(gctx, &h)
			if err != nil {
				return fmt.Errorf("block %d: %w", h, err)
			}
			r, err := f.node.BlockResults(gctx, &h)
			if err != nil {
				return fmt.Errorf("block results %d: %w", h, err)
			}
			d, err := f.dec.Decode(b, r)
			if err != nil {
				return err
			}
			out[h-from] = d
			return nil
		})
	}
	return out, g.Wait()
}

// retry runs op until it succeeds or ctx ends, waiting 250 ms after the
// first failure and doubling up to MaxBackoff; each failure is reported.
func (f *Follower) retry(ctx context.Context, what string, op func() error) error {
	wait := 250 * time.Millisecond
	for {
		err := op()
		if err == nil {
			return nil
		}
		if errors.Is(err, decode.ErrMismatch) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if f.opts.Progress != nil {
			fmt.Fprintf(f.opts.Progress, "%s: %v (retrying in %s)\n", what, err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, f.opts.MaxBackoff)
	}
}
