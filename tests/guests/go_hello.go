// SPDX-License-Identifier: BSD-2-Clause
// Go with goroutines, a channel, a WaitGroup and runtime.GC(): the runtime
// reserves large ranges, starts threads (clone, futex) and uses epoll.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func main() {
	fmt.Println("hello from go")
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(n int) { defer wg.Done(); ch <- n * n }(i)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for v := range ch {
		sum += v
	}
	runtime.GC()
	fmt.Println("sum", sum)
}
