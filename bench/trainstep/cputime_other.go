//go:build !unix

package main

import "time"

// cpuTime falls back to wall time where getrusage is unavailable.
func cpuTime() time.Duration { return time.Since(start) }
