//go:build unix

// Package cputime measures the CPU time the benchmark process has used, which
// other jobs on a shared machine do not distort the way they distort wall time.
package cputime

import (
	"syscall"
	"time"
)

// Now returns the process's user+system CPU time, garbage collection included.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
