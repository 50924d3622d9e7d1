//go:build !unix

package devnet

import "os"

// tryLock cannot lock on this platform: the devnet runs without the home lock
// (the node's own database lock still stops a second node, but later).
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}
