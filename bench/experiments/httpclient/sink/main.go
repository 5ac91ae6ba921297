// Command sink is the net/http sink of the client comparison: it answers
// every request on 127.0.0.1:18081 and prints its CPU time on SIGUSR1.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	go func() {
		_ = http.ListenAndServe("127.0.0.1:18081", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = w.Write([]byte(`{"ok":true}`))
		}))
	}()
	s := make(chan os.Signal, 1)
	signal.Notify(s, syscall.SIGUSR1)
	for range s {
		fmt.Println("sink cpu", cpu())
	}
}
