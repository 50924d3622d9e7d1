//go:build !unix

package main

import "time"

// start anchors the fallback clock.
var start = time.Now()

// cpuTime falls back to wall time where getrusage is unavailable.
func cpuTime() time.Duration { return time.Since(start) }
