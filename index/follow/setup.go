package follow

import (
	"context"
	"fmt"
	"io"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/store"
)

// Dial returns an RPC client of the node at addr (tcp://host:port or http://…).
// It does not contact the node.
func Dial(addr string) (Node, error) {
	c, err := rpchttp.New(addr, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("node RPC client for %s: %w (give --node as tcp://127.0.0.1:26657)", addr, err)
	}
	return c, nil
}

// ChainDecoder returns a decoder with the chain's own codecs: every module's
// messages registered, bech32 account addresses.
func ChainDecoder() *decode.Decoder {
	enc := app.ClientEncoding()
	addrs := enc.InterfaceRegistry.SigningContext().AddressCodec()
	return decode.New(decode.SDKTxDecoder{TxConfig: enc.TxConfig, Codec: enc.Codec, Addrs: addrs}, addrs)
}

// Index follows the node at node into the database at dsn until ctx ends
// (or opts.To is written): the whole of `hyphad index` and of the devnet's
// built-in indexer.
func Index(ctx context.Context, node, dsn string, reindexFrom int64, opts Options) (Stats, error) {
	n, err := Dial(node)
	if err != nil {
		return Stats{}, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return Stats{}, err
	}
	defer st.Close()
	if reindexFrom > 0 {
		if err := st.ReindexFrom(ctx, reindexFrom); err != nil {
			return Stats{}, err
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "deleted the index from height %d: reindexing\n", reindexFrom)
		}
	}
	f := New(n, st, ChainDecoder(), opts)
	err = f.Run(ctx)
	return f.Stats(), err
}

// Builtin runs the devnet's indexer into dsn until ctx ends, logging to log.
// Its errors never stop the devnet: it reports them and retries.
func Builtin(ctx context.Context, node, dsn string, log io.Writer) {
	for ctx.Err() == nil {
		_, err := Index(ctx, node, dsn, 0, Options{Progress: io.Discard})
		if err == nil || ctx.Err() != nil {
			return
		}
		fmt.Fprintf(log, "indexer: %v (retrying in 10 s; the chain keeps running)\n", err)
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
		}
	}
}
