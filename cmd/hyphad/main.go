// Command hyphad is the Hypha node, its command-line client and its agents.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/cmd/hyphad/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), "HYPHAD", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
