//go:build !unix

// Package cputime measures the CPU time the benchmark process has used, which
// other jobs on a shared machine do not distort the way they distort wall time.
package cputime

import "time"

// start anchors the fallback clock.
var start = time.Now()

// Now falls back to wall time where getrusage is unavailable.
func Now() time.Duration { return time.Since(start) }
