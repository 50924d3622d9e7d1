//go:build !linux

package main

// threadCPUTime falls back to the wall clock where thread CPU time is not
// wired up.
func threadCPUTime() float64 { return wallClock() }
