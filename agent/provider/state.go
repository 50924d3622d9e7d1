package provider

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/x/market/types"
)

var (
	bucketBids   = []byte("bids")
	bucketLeases = []byte("leases")
)

// BidRecord is a bid the agent placed. Open bids reserve capacity.
type BidRecord struct {
	OrderID   uint64             `json:"order_id"`
	Price     string             `json:"price"`
	Height    int64              `json:"height"`
	State     string             `json:"state"` // open, won, lost
	Resources types.ResourceSpec `json:"resources"`
}

// InstanceRecord is a workload instance with its runtime handle.
type InstanceRecord struct {
	Instance runtime.Instance `json:"instance"`
	Handle   runtime.Handle   `json:"handle"`
}

// LeaseRecord is a lease the provider serves.
type LeaseRecord struct {
	ID                 uint64           `json:"id"`
	Owner              string           `json:"owner"`
	State              string           `json:"state"` // awaiting-manifest, running, closed
	Manifest           []byte           `json:"manifest,omitempty"`
	Instances          []InstanceRecord `json:"instances,omitempty"`
	LastWithdrawHeight int64            `json:"last_withdraw_height"`
	ClosedReason       string           `json:"closed_reason,omitempty"`
	// Paid is what the provider has been paid for the lease, as last seen on
	// chain (the earnings metric sums it).
	Paid Payment `json:"paid"`
}

// Payment is an amount of a denom, kept as the chain prints it.
type Payment struct {
	Denom  string `json:"denom,omitempty"`
	Amount string `json:"amount,omitempty"`
}

// setPaid records the lease's payment to the provider; it reports whether
// the record changed.
func (r *LeaseRecord) setPaid(l types.Lease) bool {
	p := Payment{Denom: l.Price.Denom, Amount: l.ProviderPaid.String()}
	if p == r.Paid {
		return false
	}
	r.Paid = p
	return true
}

// Store is the agent's durable state (bbolt).
type Store struct{ db *bolt.DB }

// OpenStore opens (or creates) the state database at path.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w (is another provider agent using this data_dir?)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBids, bucketLeases} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialize state database: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func put(s *Store, bucket []byte, id uint64, v any) error {
	bz, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key(id), bz) })
}

func get[T any](s *Store, bucket []byte, id uint64) (*T, error) {
	var out *T
	err := s.db.View(func(tx *bolt.Tx) error {
		bz := tx.Bucket(bucket).Get(key(id))
		if bz == nil {
			return nil
		}
		out = new(T)
		return json.Unmarshal(bz, out)
	})
	return out, err
}

func all[T any](s *Store, bucket []byte) ([]*T, error) {
	var out []*T
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			t := new(T)
			if err := json.Unmarshal(v, t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// PutBid records a bid.
func (s *Store) PutBid(b *BidRecord) error { return put(s, bucketBids, b.OrderID, b) }

// Bid returns the bid on an order, or nil.
func (s *Store) Bid(orderID uint64) (*BidRecord, error) {
	return get[BidRecord](s, bucketBids, orderID)
}

// Bids returns every recorded bid.
func (s *Store) Bids() ([]*BidRecord, error) { return all[BidRecord](s, bucketBids) }

// PutLease records a lease.
func (s *Store) PutLease(l *LeaseRecord) error { return put(s, bucketLeases, l.ID, l) }

// Lease returns a lease, or nil.
func (s *Store) Lease(id uint64) (*LeaseRecord, error) { return get[LeaseRecord](s, bucketLeases, id) }

// Leases returns every recorded lease.
func (s *Store) Leases() ([]*LeaseRecord, error) { return all[LeaseRecord](s, bucketLeases) }
