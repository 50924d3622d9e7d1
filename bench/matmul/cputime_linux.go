package main

import "golang.org/x/sys/unix"

// threadCPUTime returns the CPU time of the calling OS thread in seconds.
func threadCPUTime() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return wallClock()
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
