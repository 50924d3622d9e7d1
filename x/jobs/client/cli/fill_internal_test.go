package cli

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// A job file without the data description gets it from the spec's data.
func TestJobFileFillsData(t *testing.T) {
	spec, err := os.ReadFile("../../../../examples/ml/iris-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := string(spec) + "\njob:\n  dataset: 5f3c0a4f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d\n  interval: 100\n  price: 5000000uhyp\n  solver_bond: 2000000uhyp\n  audit_fee: 200000uhyp\n  audit_rate_bps: 2500\n  claim_blocks: 10\n  solve_blocks: 10\n"
	jf, err := parseJobFile([]byte(strings.TrimSpace(f)), "../../../../examples/ml")
	if err != nil {
		t.Fatal(err)
	}
	tm := jf.Terms
	if tm.DataExamples != 105 || len(tm.DataXShape) != 1 || tm.DataXShape[0] != 4 || tm.DataClasses != 3 ||
		hex.EncodeToString(tm.DataRoot) != "971a5b4f872408317436a16d20fd91aec0ed23a23c472ada711898fa6afca0d5" {
		t.Fatalf("terms %+v", tm)
	}
}
