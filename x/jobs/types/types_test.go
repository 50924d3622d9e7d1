package types_test

import (
	"crypto/sha256"
	"errors"
	"os"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/types"
)

func digitsSpec(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../../examples/ml/digits-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The frontier's root equals merkle.Root over the same leaves for every size,
// and every leaf's merkle.Proof verifies against it.
func TestFrontierMatchesMerkleRoot(t *testing.T) {
	var frontier [][]byte
	var leaves [][]byte
	var hs []merkle.Hash
	for n := uint64(0); n < 70; n++ {
		c := sha256.Sum256([]byte{byte(n), byte(n >> 8)})
		frontier = types.AppendLeaf(frontier, n, c[:])
		leaves = append(leaves, c[:])
		hs = append(hs, merkle.LeafHash(c[:]))
		want := merkle.Root(leaves)
		if got := types.FrontierRoot(frontier); string(got) != string(want[:]) {
			t.Fatalf("n=%d: frontier root %x, merkle.Root %x", n+1, got, want)
		}
		if len(frontier) != popcount(n+1) {
			t.Fatalf("n=%d: frontier has %d entries", n+1, len(frontier))
		}
		for i := range leaves {
			p, err := merkle.Proof(hs, i)
			if err != nil {
				t.Fatal(err)
			}
			proof := make([][]byte, len(p))
			for j := range p {
				proof[j] = p[j][:]
			}
			if err := types.VerifyLeaf(want[:], leaves[i], uint64(i), n+1, proof); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n+1, i, err)
			}
			if err := types.VerifyLeaf(want[:], leaves[(i+1)%len(leaves)], uint64(i), n+1, proof); len(leaves) > 1 && err == nil {
				t.Fatalf("n=%d leaf %d: wrong leaf verified", n+1, i)
			}
		}
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x > 0; x &= x - 1 {
		n++
	}
	return n
}

// The canonical spec ignores YAML layout, comments, key order and defaults
// written out; its hash is train.Spec.Program.
func TestCanonicalSpecIgnoresLayout(t *testing.T) {
	raw := digitsSpec(t)
	s, canon, err := types.CanonicalSpec(raw, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(canon) != s.Program() {
		t.Fatal("canonical spec hash differs from train.Spec.Program")
	}
	relaid := `# other comments, other order, flow style
train: {clip_norm: 5, batch: 64, steps: 1200, eval_batch: 256}
schedule: {lr: 0.003, kind: cosine, warmup: 20}
optimizer: {weight_decay: 0.0001, kind: adamw}
model: {activation: relu, hidden: [128, 64], kind: mlp}
data: {format: csv, path: elsewhere.csv, scale: 0.0625, classes: 10, eval_fraction: 0.25, split_seed: 2024}
seed: 1
name: renamed
`
	_, canon2, err := types.CanonicalSpec([]byte(relaid), 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	if string(canon) != string(canon2) {
		t.Fatalf("layout changed the canonical spec:\n%s\n%s", canon, canon2)
	}
	var ds [32]byte
	id1 := types.JobID(canon, types.CEVersion, ds, 1, 1200, 100)
	if id1 != types.JobID(canon2, types.CEVersion, ds, 1, 1200, 100) {
		t.Fatal("job id depends on layout")
	}
	for _, other := range []string{
		types.JobID(canon, types.CEVersion, ds, 2, 1200, 100),
		types.JobID(canon, types.CEVersion, ds, 1, 1200, 50),
		types.JobID(canon, "CE-v2", ds, 1, 1200, 100),
		types.JobID(canon, types.CEVersion, [32]byte{1}, 1, 1200, 100),
	} {
		if other == id1 {
			t.Fatal("job id ignores a field that fixes the result")
		}
	}
	changed := strings.Replace(relaid, "lr: 0.003", "lr: 0.004", 1)
	_, canon3, err := types.CanonicalSpec([]byte(changed), 1<<16)
	if err != nil || string(canon3) == string(canon) {
		t.Fatalf("a changed learning rate kept the canonical spec (err %v)", err)
	}
}

func TestCanonicalSpecRefuses(t *testing.T) {
	raw := string(digitsSpec(t))
	for name, tc := range map[string]struct {
		spec string
		max  uint32
		want *errorsmod.Error
	}{
		"unknown model kind": {strings.Replace(raw, "kind: mlp", "kind: resnet", 1), 1 << 16, types.ErrInvalidSpec},
		"unknown activation": {strings.Replace(raw, "activation: relu", "activation: swish", 1), 1 << 16, types.ErrInvalidSpec},
		"unknown optimizer":  {strings.Replace(raw, "kind: adamw", "kind: lion", 1), 1 << 16, types.ErrInvalidSpec},
		"unknown field":      {raw + "extra: 1\n", 1 << 16, types.ErrInvalidSpec},
		"too large":          {raw, 64, types.ErrInvalidSpec},
		"empty":              {"", 1 << 16, types.ErrInvalidSpec},
		"not yaml":           {"{[", 1 << 16, types.ErrInvalidSpec},
	} {
		_, _, err := types.CanonicalSpec([]byte(tc.spec), tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestAuditCount(t *testing.T) {
	for _, tc := range []struct {
		bps      uint32
		segs     uint64
		min, max uint32
		want     uint32
	}{
		{2500, 12, 1, 64, 3}, {2501, 12, 1, 64, 4}, {0, 12, 1, 64, 1}, {10000, 12, 1, 64, 12},
		{10000, 1000, 1, 64, 64}, {100, 3, 5, 64, 3}, {1, 1 << 20, 1, 1024, 105},
	} {
		if got := types.AuditCount(tc.bps, tc.segs, tc.min, tc.max); got != tc.want {
			t.Errorf("AuditCount(%d, %d, %d, %d) = %d, want %d", tc.bps, tc.segs, tc.min, tc.max, got, tc.want)
		}
	}
}

// SampleSegments gives m distinct in-range segments, the same for the same
// beacon, and a different draw for a different beacon.
func TestSampleSegments(t *testing.T) {
	b1, b2 := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	s1 := types.SampleSegments(b1[:], 100, 30)
	if len(s1) != 30 {
		t.Fatalf("%d segments", len(s1))
	}
	seen := map[uint64]bool{}
	for _, s := range s1 {
		if s >= 100 || seen[s] {
			t.Fatalf("bad or repeated segment %d in %v", s, s1)
		}
		seen[s] = true
	}
	if again := types.SampleSegments(b1[:], 100, 30); !equal(again, s1) {
		t.Fatal("not deterministic")
	}
	if equal(types.SampleSegments(b2[:], 100, 30), s1) {
		t.Fatal("a different beacon drew the same segments")
	}
	if all := types.SampleSegments(b1[:], 5, 9); len(all) != 5 {
		t.Fatalf("m > segments: %v", all)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParamsDefaultsValid(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatal(err)
	}
	p := types.DefaultParams()
	p.BeaconDelay = types.MaxBeaconDelay + 1
	if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("beacon delay above the ring: %v", err)
	}
	if types.CEVersion != train.Version {
		t.Fatal("CE version drifted")
	}
}
