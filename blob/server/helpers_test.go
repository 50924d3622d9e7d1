package server_test

import "time"

func httpWait() { time.Sleep(10 * time.Millisecond) }
