// Command httpclient compares the client CPU of net/http and fasthttp
// posting to a local sink (docs/benchmarks.md, "Session 12"): 100,000
// POSTs of 900 bytes, 1,000 at once over 64 connections.
//
//	go run ./sink &                                   # net/http sink on 127.0.0.1:18081
//	go run . std  http://127.0.0.1:18081/hook
//	go run . fast http://127.0.0.1:18081/hook
//
// It is its own module, so Candor's go.mod does not take fasthttp.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	url := os.Args[2]
	n := 100000
	body := bytes.Repeat([]byte("x"), 900)
	var send func() error
	switch os.Args[1] {
	case "std":
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64, DialContext: (&net.Dialer{}).DialContext}}
		send = func() error {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header["Content-Type"] = []string{"application/json"}
			req.Header["Webhook-Id"] = []string{"123"}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.ReadAll(io.LimitReader(resp.Body, 65536))
			resp.Body.Close()
			return nil
		}
	case "fast":
		c := &fasthttp.Client{MaxConnsPerHost: 64, MaxConnWaitTimeout: 10 * time.Second, Dial: func(a string) (net.Conn, error) { return (&net.Dialer{}).Dial("tcp", a) }}
		send = func() error {
			req := fasthttp.AcquireRequest()
			resp := fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(url)
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/json")
			req.Header.Set("Webhook-Id", "123")
			req.SetBodyRaw(body)
			return c.DoTimeout(req, resp, 10*time.Second)
		}
	}
	var wg sync.WaitGroup
	ch := make(chan struct{}, 1000)
	t0, c0 := time.Now(), cpu()
	for i := 0; i < n; i++ {
		ch <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := send(); err != nil {
				panic(err)
			}
			<-ch
		}()
	}
	wg.Wait()
	el, c := time.Since(t0), cpu()-c0
	fmt.Printf("%s: %.0f req/s, client cpu %.1f us/req\n", os.Args[1], float64(n)/el.Seconds(), float64(c.Microseconds())/float64(n))
}
