package main

import (
	"os"
	"syscall"
	"time"
)

// maxRSSMB is the peak resident set of a finished process in MB.
func maxRSSMB(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024 // kB on Linux
	}
	return 0
}

// childrenCPU is the CPU time (user + system) of every child process the
// suite has waited for so far: the benchmarks, go build and candor.
// PostgreSQL's and Redis's own CPU is not in it.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
