package cli_test

import (
	"testing"

	"github.com/hypha-network/hypha/x/jobs/client/cli"
)

// `hyphad job dispute show|move|evidence` and `hyphad q jobs dispute` exist.
func TestDisputeCommands(t *testing.T) {
	for _, path := range [][]string{{"dispute", "show"}, {"dispute", "move"}, {"dispute", "evidence"}} {
		if c, _, err := cli.JobCommand().Find(path); err != nil || c.Name() != path[1] {
			t.Errorf("job %v: %v", path, err)
		}
	}
	if c, _, err := cli.GetQueryCmd().Find([]string{"dispute"}); err != nil || c.Name() != "dispute" {
		t.Errorf("q jobs dispute: %v", err)
	}
	if c, _, err := cli.GetTxCmd().Find([]string{"dispute", "evidence"}); err != nil || c.Name() != "evidence" {
		t.Errorf("tx jobs dispute evidence: %v", err)
	}
}
