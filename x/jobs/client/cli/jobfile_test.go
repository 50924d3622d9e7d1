package cli_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/x/jobs/client/cli"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// The example job file splits into the examples/ml spec and its terms, and
// its spec's canonical form is the digits-mlp example's.
func TestParseJobFile(t *testing.T) {
	jf, err := cli.ReadJobFile("testdata/digits-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tm := jf.Terms
	if tm.Steps != 1200 || tm.Seed != 1 || tm.Interval != 100 || tm.Price.String() != "5000000uhyp" ||
		tm.AuditRateBps != 2500 || tm.ClaimBlocks != 1000 || tm.SolveBlocks != 10000 {
		t.Fatalf("terms %+v", tm)
	}
	if strings.Contains(string(jf.Spec), "job:") {
		t.Fatal("the job section leaked into the spec")
	}
	ex, err := os.ReadFile("../../../../examples/ml/digits-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, c1, err := types.CanonicalSpec(jf.Spec, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	_, c2, err := types.CanonicalSpec(ex, 1<<16)
	if err != nil || string(c1) != string(c2) {
		t.Fatalf("job file spec differs from the example (%v)", err)
	}
}

func TestParseJobFileRefuses(t *testing.T) {
	b, err := os.ReadFile("testdata/digits-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	for name, tc := range map[string]struct {
		file string
		want error
	}{
		"no job section":   {good[:strings.Index(good, "# What the job")], nil},
		"T % k != 0":       {strings.Replace(good, "interval: 100", "interval: 7", 1), types.ErrInvalidTerms},
		"bad dataset":      {strings.Replace(good, "dataset: 5f3c", "dataset: zz3c", 1), types.ErrInvalidDataset},
		"unknown job key":  {good + "  colour: red\n", nil},
		"seed mismatch":    {strings.Replace(good, "  interval: 100", "  seed: 9\n  interval: 100", 1), nil},
		"bad price":        {strings.Replace(good, "price: 5000000uhyp", "price: lots", 1), nil},
		"unknown spec key": {"colour: red\n" + good, nil},
	} {
		_, err := cli.ParseJobFile([]byte(tc.file))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for s, want := range map[string]types.JobStatus{"": types.JobUnspecified, "open": types.JobOpen, "settled": types.JobSettled, "disputed": types.JobDisputed} {
		if got, err := cli.ParseStatus(s); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := cli.ParseStatus("bogus"); err == nil {
		t.Error("accepted bogus status")
	}
}
