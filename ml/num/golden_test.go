package num

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The golden vectors pin the exact result bits of CE-v1: any change to an
// algorithm, a coefficient or an evaluation order makes this test fail.
// They are generated on one machine and must hold on every architecture
// (see ml/kernel's cross-architecture test). Regenerate only for a new
// CE version: go test ./ml/num -run Golden -update

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const goldenFile = "testdata/golden.txt"

// goldenInputs are hand-picked arguments: special values, binade edges,
// tiny and huge magnitudes, and ordinary ML-range numbers.
var goldenInputs = []uint32{
	0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000,
	0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
	0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x40000000, 0xc0000000,
	0x3dcccccd, 0xbdcccccd, 0x3e800000, 0x3f3504f3, 0x3fb504f3, 0x402df854,
	0x40490fdb, 0xc0490fdb, 0x3fc90fdb, 0x3f490fdb, 0x42b17217, 0x42b17218,
	0xc2ce8ed0, 0xc2cff1b5, 0x41200000, 0xc1200000, 0x41100000, 0xc1100000,
	0x3c23d70a, 0xbc23d70a, 0x38d1b717, 0x33d6bf95, 0x4b800000, 0x4f000000,
	0x5f000000, 0x7e967699, 0x3f400000, 0xbf400000, 0x3f8ccccd, 0xbf8ccccd,
	0x3fd9999a, 0x40400000, 0xc0400000, 0x40c00000, 0xc0c00000, 0x41e00000,
	0xc1e00000, 0x3f7fffff, 0x3f800001, 0xbf40a3d7, 0x39800000, 0x4c800000,
}

// goldenPowY are the exponents paired with every golden input for Pow.
var goldenPowY = []float32{0, 1, -1, 0.5, 2, 3.5, -0.75, 100, 1000}

// sweepInput returns input i of the hashed sweep: a stride through all bit
// patterns that visits every binade of both signs.
func sweepInput(i uint32) float32 { return math.Float32frombits(i * 0x9e3779b1) }

const sweepN = 1 << 20

func sweepHash(f func(float32) float32) string {
	h := sha256.New()
	var buf [4]byte
	for i := uint32(0); i < sweepN; i++ {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(f(sweepInput(i))))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goldenLines computes the golden file contents on this machine.
func goldenLines() []string {
	lines := []string{
		"# CE-v1 golden vectors for package num (generated; do not edit).",
		"# <func> <x bits> <result bits>; Pow: Pow <x bits> <y bits> <result bits>",
		fmt.Sprintf("# sweep <func> <SHA-256 of the little-endian result bits for x = bits(i*0x9e3779b1), i < %d>", sweepN),
	}
	for _, u := range unaries {
		for _, b := range goldenInputs {
			r := u.f(math.Float32frombits(b))
			lines = append(lines, fmt.Sprintf("%s %08x %08x", u.name, b, math.Float32bits(r)))
		}
	}
	for _, b := range goldenInputs {
		for _, y := range goldenPowY {
			r := Pow(math.Float32frombits(b), y)
			lines = append(lines, fmt.Sprintf("Pow %08x %08x %08x", b, math.Float32bits(y), math.Float32bits(r)))
		}
	}
	for _, u := range unaries {
		lines = append(lines, fmt.Sprintf("sweep %s %s", u.name, sweepHash(u.f)))
	}
	lines = append(lines, fmt.Sprintf("sweep Pow2 %s", sweepHash(func(x float32) float32 { return Pow(2, x) })))
	lines = append(lines, fmt.Sprintf("sweep PowHalf %s", sweepHash(func(x float32) float32 { return Pow(x, 0.5) })))
	return lines
}

func TestGolden(t *testing.T) {
	got := goldenLines()
	if *update {
		if err := os.WriteFile(goldenFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want = append(want, sc.Text())
	}
	if len(want) != len(got) {
		t.Fatalf("golden file has %d lines, computed %d", len(want), len(got))
	}
	bad := 0
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("golden mismatch:\n got  %s\n want %s", got[i], want[i])
			if bad++; bad > 20 {
				t.Fatal("too many mismatches")
			}
		}
	}
}

// TestGoldenFileParses makes sure the golden table is well formed and
// covers every function, so that a truncated file cannot pass silently.
func TestGoldenFileParses(t *testing.T) {
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] == "sweep" {
			seen["sweep "+fields[1]]++
			continue
		}
		for _, h := range fields[1:] {
			if _, err := strconv.ParseUint(h, 16, 32); err != nil {
				t.Fatalf("bad hex in %q", line)
			}
		}
		seen[fields[0]]++
	}
	for _, u := range unaries {
		if seen[u.name] != len(goldenInputs) || seen["sweep "+u.name] != 1 {
			t.Errorf("%s: %d vectors, %d sweeps", u.name, seen[u.name], seen["sweep "+u.name])
		}
	}
}
