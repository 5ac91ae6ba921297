package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// hangingListener accepts TCP connections and never answers, like a Redis
// that is stuck; it closes with the test.
func hangingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestTheRedisReadinessCheckGivesUpWithinTwoSecondsWhenRedisHangs(t *testing.T) {
	opt, err := redis.ParseURL("redis://" + hangingListener(t))
	if err != nil {
		t.Fatal(err)
	}
	a := &app{redis: redis.NewClient(opt)}
	defer a.redis.Close()
	start := time.Now()
	err = a.pingRedis(context.Background())
	if took := time.Since(start); err == nil || took > 2100*time.Millisecond {
		t.Fatalf("pingRedis = %v after %v, want an error within 2s", err, took)
	}
}
