// SPDX-License-Identifier: BSD-2-Clause

// A request program in Go: GET answers with the URL, the argument and a
// request field; POST gives back the body with its length.  Goroutines,
// a channel and a garbage collection run during initialization.
package main

import (
	"fmt"
	"os"
	"runtime"

	"tinykvm.example/hello/varnish"
)

func main() {
	if !varnish.Sandboxed() {
		fmt.Println("run me in tinykvm-run or under varnishd")
		return
	}
	ch := make(chan int)
	for i := 1; i <= 4; i++ {
		go func(n int) { ch <- n * n }(i)
	}
	sum := 0
	for i := 0; i < 4; i++ {
		sum += <-ch
	}
	runtime.GC()
	counter := 41
	fmt.Println("Go program ready")
	os.Stdout.Sync()
	for {
		r := varnish.Next()
		counter++
		varnish.HTTPSet(varnish.Resp, "X-Language: Go")
		if r.Method == "POST" {
			body := fmt.Sprintf("Go got %d bytes of %s at %s: %s", len(r.Body), r.ContentType, r.URL, r.Body)
			varnish.Respond(201, "text/plain", []byte(body))
			continue
		}
		agent := varnish.HTTPFind(varnish.Req, "User-Agent")
		if agent == "" {
			agent = "none"
		}
		varnish.SetCacheable(false, 1, 0, 0)
		body := fmt.Sprintf("Hello from Go! url=%s arg=%s %s sum=%d counter=%d\n", r.URL, r.Arg, agent, sum, counter)
		varnish.Respond(200, "text/plain", []byte(body))
	}
}
