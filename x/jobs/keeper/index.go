package keeper

import (
	"bytes"
	"context"
	"errors"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// keyIndex is a collections.Index of an IndexedMap (the design of x/market's):
// for every value it keeps one key derived from the value (ending with the
// primary key) in a KeySet, so a query can prefix-scan the KeySet instead of
// filtering the whole map. Unlike indexes.Multi it writes only when the
// derived key changes: a job is stored again at every commitment posting, and
// those must not rewrite its index entry.
type keyIndex[PK, K, V any] struct {
	Keys  collections.KeySet[K]
	keyOf func(pk PK, v V) K
}

func newKeyIndex[PK, K, V any](sb *collections.SchemaBuilder, prefix collections.Prefix, name string,
	kc collcodec.KeyCodec[K], keyOf func(PK, V) K,
) *keyIndex[PK, K, V] {
	return &keyIndex[PK, K, V]{Keys: collections.NewKeySet(sb, prefix, name, kc), keyOf: keyOf}
}

// Reference moves pk's entry to the key of newValue (a no-op if it is unchanged).
func (i *keyIndex[PK, K, V]) Reference(ctx context.Context, pk PK, newValue V, lazyOldValue func() (V, error)) error {
	key := i.keyOf(pk, newValue)
	old, err := lazyOldValue()
	switch {
	case err == nil:
		oldKey := i.keyOf(pk, old)
		same, err := i.sameKey(oldKey, key)
		if err != nil || same {
			return err
		}
		if err := i.Keys.Remove(ctx, oldKey); err != nil {
			return err
		}
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	return i.Keys.Set(ctx, key)
}

// Unreference removes pk's entry.
func (i *keyIndex[PK, K, V]) Unreference(ctx context.Context, pk PK, lazyOldValue func() (V, error)) error {
	old, err := lazyOldValue()
	if err != nil {
		return err
	}
	return i.Keys.Remove(ctx, i.keyOf(pk, old))
}

// sameKey compares keys by their encoding: collections' Pair and Triple hold
// pointers, so == would compare addresses.
func (i *keyIndex[PK, K, V]) sameKey(a, b K) (bool, error) {
	ea, err := collections.EncodeKeyWithPrefix(nil, i.Keys.KeyCodec(), a)
	if err != nil {
		return false, err
	}
	eb, err := collections.EncodeKeyWithPrefix(nil, i.Keys.KeyCodec(), b)
	return bytes.Equal(ea, eb), err
}

// StatusKey is an index key (status, job id).
type StatusKey = collections.Pair[int32, string]

// JobIndexes are the indexes of the Jobs IndexedMap.
type JobIndexes struct {
	// Status keeps (status, job id) so `jobs list --status` never scans all jobs;
	// it is written only when a job changes status, not at every commitment.
	Status *keyIndex[string, StatusKey, types.Job]
}

// IndexesList implements collections.Indexes.
func (i JobIndexes) IndexesList() []collections.Index[string, types.Job] {
	return []collections.Index[string, types.Job]{i.Status}
}

func newJobIndexes(sb *collections.SchemaBuilder) JobIndexes {
	return JobIndexes{Status: newKeyIndex(sb, types.JobsByStatusKey, "jobs_by_status",
		collections.PairKeyCodec(collections.Int32Key, collections.StringKey),
		func(id string, j types.Job) StatusKey { return collections.Join(int32(j.Status), id) })}
}
