package rng

// CE-v1 conformance vectors for the stream layout (generated once; they
// must never change within CE-v1).
var (
	// Uint32s(Key{0x0123456789abcdef, 1000, 17}, 5, w[:6])
	goldenWords = [...]uint32{0x7076596d, 0xe46b6ed2, 0x9b1b61c4, 0x28fa5b09, 0x4f7f29e5, 0x203ba7fc}
	// Uniform(same key, 5, u[:4])
	goldenUniform = [...]uint32{0x3ee0ecb2, 0x3f646b6e, 0x3f1b1b61, 0x3e23e96c}
	// Normal(same key, 5, z[:6]) = 0.22335446 -0.37564608 -0.294747 -0.7106445 1.7774336 0.2828426
	goldenNormal = [...]uint32{0x3e64b708, 0xbec054af, 0xbe96e914, 0xbf35eccc, 0x3fe382f2, 0x3e90d0bf}
	// Permutation(99, 3, 12)
	goldenPerm = []int{7, 9, 3, 5, 8, 2, 10, 4, 1, 11, 0, 6}
)

const (
	// SHA-256 of the little-endian bits of Normal(Key{1, 2, 3}, 12345, x[:10007]).
	goldenNormalHash = "817c9eaba8d4c1dc49879212af7c0c6b988c5b088175fc6ccced6d971ec80f46"
	// SHA-256 of Permutation(7, 0, 100000) as little-endian uint32s.
	goldenPermHash = "90aa5fe4c3d75b4b090def7d96ffd4d67b2630f0d795520490d9821de83a7b3c"
)
