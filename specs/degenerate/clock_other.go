//go:build !linux

package main

import "time"

var processStart = time.Now()

// monoNow approximates CLOCK_MONOTONIC outside Linux: nanoseconds since the
// process started (not comparable between processes).
func monoNow() int64 { return time.Since(processStart).Nanoseconds() }
