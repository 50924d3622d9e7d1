// Package examples embeds the example training specs and their data, so that
// the binary can set up demos (such as the devnet's demo subnet) wherever it runs.
package examples

import "embed"

// FS holds the example specs (*.yaml) and the data they refer to (data/).
//
//go:embed *.yaml data
var FS embed.FS
