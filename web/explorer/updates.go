package explorer

import (
	"context"
	"sync"

	"github.com/hypha-network/hypha/web/live"
)

// BlockEvent is the body of a "block" event.
type BlockEvent struct {
	Height int64  `json:"height"`
	Time   string `json:"time"`
	NumTxs int64  `json:"num_txs"`
	Hash   string `json:"hash"`
	// NumEvents and Proposer fill the wider table of the blocks page.
	NumEvents int64  `json:"num_events"`
	Proposer  string `json:"proposer"`
}

// BidEvent is the body of a "bid" event.
type BidEvent struct {
	Height   int64  `json:"height"`
	Kind     string `json:"kind"`
	OrderID  int64  `json:"order_id"`
	Provider string `json:"provider"`
	Price    string `json:"price"`
}

// updates returns the hub's source: the blocks and bids indexed since its
// previous call. The first call only notes the current height.
func (s *Server) updates() live.Source {
	var mu sync.Mutex
	last := int64(-1)
	return func(ctx context.Context) ([]live.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		if last < 0 {
			h, err := s.idx.Height(ctx)
			if err != nil {
				return nil, err
			}
			last = h
			return nil, nil
		}
		bs, err := s.idx.BlocksAfter(ctx, last)
		if err != nil || len(bs) == 0 {
			return nil, err
		}
		top := bs[len(bs)-1].Height
		bids, err := s.idx.Bids(ctx, 0, last)
		if err != nil {
			return nil, err
		}
		var evs []live.Event
		for _, b := range bs {
			evs = append(evs, live.Event{Name: "block", Data: BlockEvent{Height: b.Height, Time: b.Time, NumTxs: b.NumTxs, Hash: b.Hash, NumEvents: b.NumEvents, Proposer: b.Proposer}})
		}
		for i := len(bids) - 1; i >= 0; i-- { // oldest first
			b := bids[i]
			if b.Height <= top {
				evs = append(evs, live.Event{Name: "bid", Data: BidEvent{Height: b.Height, Kind: b.Kind, OrderID: b.OrderID, Provider: b.Provider, Price: b.Price}})
			}
		}
		last = top
		return evs, nil
	}
}
