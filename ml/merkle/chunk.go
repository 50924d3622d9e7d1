package merkle

// ChunkBytes is the leaf size of a chunked tree: 128 bytes, 32 float32
// values. Small enough that a proof for one element carries little beyond
// its path, large enough that hashing a tensor costs under twice a flat
// SHA-256 of it.
const ChunkBytes = 128

// ChunkCount is the number of chunks of an n-byte string (0 for n = 0).
func ChunkCount(n int) int { return (n + ChunkBytes - 1) / ChunkBytes }

// ChunkLeaves returns the leaf hashes of b split into ChunkBytes-sized
// chunks (the last one may be shorter).
func ChunkLeaves(b []byte) []Hash {
	hs := make([]Hash, 0, ChunkCount(len(b)))
	for len(b) > 0 {
		k := min(len(b), ChunkBytes)
		hs = append(hs, LeafHash(b[:k]))
		b = b[k:]
	}
	return hs
}

// ChunkRoot is the Merkle root of b's chunks: the commitment to a tensor's
// canonical bytes that element proofs are checked against.
func ChunkRoot(b []byte) Hash { return RootOfHashes(ChunkLeaves(b)) }

// ChunkLen is the length of chunk c of an n-byte string.
func ChunkLen(n, c int) int { return min(ChunkBytes, n-c*ChunkBytes) }
