// Command hyphad is the Hypha node, its command-line client and its agents.
package main

import (
	"os"

	"github.com/hypha-network/hypha/cmd/hyphad/cmd"
)

func main() {
	os.Exit(cmd.Execute(cmd.NewRootCmd()))
}
