package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// flagJSONOld is the boolean flag some commands had before -o/--output.
const flagJSONOld = "json"

// unifyOutputFlags gives every command under root that has a boolean --json flag
// the standard -o/--output text|json flag that the Cosmos commands use, and keeps
// --json as a hidden, deprecated alias. It works on the command tree, so the
// commands themselves (some live in packages other people own) keep reading
// their --json flag: -o json sets it before they run.
func unifyOutputFlags(root *cobra.Command) {
	for _, c := range root.Commands() {
		unifyOutputFlags(c)
	}
	f := root.Flags().Lookup(flagJSONOld)
	if f == nil || f.Value.Type() != "bool" || root.Flags().Lookup(flagOutput) != nil || root.RunE == nil {
		return
	}
	root.Flags().StringP(flagOutput, "o", outputText, "Output format (text|json)")
	_ = root.Flags().MarkDeprecated(flagJSONOld, "use -o json")
	run := root.RunE
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if err := applyOutputFlag(cmd); err != nil {
			return err
		}
		return run(cmd, args)
	}
}

// applyOutputFlag sets --json from --output, and rejects values other than
// text and json, and a contradiction between the two flags.
func applyOutputFlag(cmd *cobra.Command) error {
	output, _ := cmd.Flags().GetString(flagOutput)
	asJSON, _ := cmd.Flags().GetBool(flagJSONOld)
	switch strings.ToLower(output) {
	case outputJSON:
		return cmd.Flags().Set(flagJSONOld, "true")
	case outputText:
		if asJSON && cmd.Flags().Changed(flagOutput) {
			return fmt.Errorf("--json and -o %s contradict each other: pass only -o json or -o text", output)
		}
		return nil
	default:
		return fmt.Errorf("invalid --output %q: use text or json", output)
	}
}
