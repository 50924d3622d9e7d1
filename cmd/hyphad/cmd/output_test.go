package cmd

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
)

func TestUnifyOutputFlags(t *testing.T) {
	var gotJSON bool
	newTree := func() (*cobra.Command, *cobra.Command) {
		parent := &cobra.Command{Use: "p", SilenceUsage: true, SilenceErrors: true}
		leaf := &cobra.Command{Use: "leaf", RunE: func(cmd *cobra.Command, _ []string) error {
			gotJSON, _ = cmd.Flags().GetBool("json")
			return nil
		}}
		leaf.Flags().Bool("json", false, "print JSON")
		parent.AddCommand(leaf)
		unifyOutputFlags(parent)
		return parent, leaf
	}
	for _, tc := range []struct {
		args    []string
		json    bool
		wantErr bool
	}{
		{[]string{"leaf"}, false, false},
		{[]string{"leaf", "-o", "json"}, true, false},
		{[]string{"leaf", "--output", "JSON"}, true, false},
		{[]string{"leaf", "--output", "text"}, false, false},
		{[]string{"leaf", "--json"}, true, false},
		{[]string{"leaf", "-o", "yaml"}, false, true},
		{[]string{"leaf", "--json", "-o", "text"}, false, true},
	} {
		gotJSON = false
		p, leaf := newTree()
		p.SetArgs(tc.args)
		p.SetErr(&bytes.Buffer{})
		err := p.Execute()
		if (err != nil) != tc.wantErr || (err == nil && gotJSON != tc.json) {
			t.Fatalf("%v: json=%v err=%v; want json=%v err=%v", tc.args, gotJSON, err, tc.json, tc.wantErr)
		}
		if f := leaf.Flags().Lookup("json"); !f.Hidden || f.Deprecated == "" {
			t.Fatal("--json is not hidden and deprecated")
		}
	}
	// The real commands with --json got -o too.
	for _, args := range [][]string{{"deploy"}, {"lease", "status"}, {"deploy", "status"}} {
		c := find(t, args...)
		if c.Flags().Lookup("output") == nil || c.Flags().ShorthandLookup("o") == nil {
			t.Fatalf("hyphad %v has no -o/--output", args)
		}
	}
}
