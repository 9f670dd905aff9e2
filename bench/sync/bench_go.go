// Go's side of the coordination benchmarks, same figures and output as
// weft-bench-sync:
//
//	bench_go lock N          two goroutines take one sync.Mutex N times
//	                         each, calling runtime.Gosched while holding it
//	bench_go chan N CAP W    a producer sends N ints on a channel of
//	                         capacity CAP (0: unbuffered), a consumer
//	                         receives them; W = 1: after one untimed round
//	                         through the same channel
//
// Run with GOMAXPROCS=1 so goroutines share one thread, as weft tasks do.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func benchLock(n int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n; i++ {
				mu.Lock()
				runtime.Gosched() // the other goroutine queues on the mutex
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("RESULT lock-handoff %.2f ns/handoff\n", float64(el.Nanoseconds())/float64(2*n))
}

// chanRound sends n ints through ch from one goroutine to another.
func chanRound(ch chan int, n int) time.Duration {
	done := make(chan bool)
	start := time.Now()
	go func() {
		for i := 1; i <= n; i++ {
			ch <- i
		}
	}()
	go func() {
		for i := 1; i <= n; i++ {
			if <-ch != i {
				fmt.Fprintln(os.Stderr, "bench_go: items out of order")
				os.Exit(1)
			}
		}
		done <- true
	}()
	<-done
	return time.Since(start)
}

func benchChan(n, capacity int, warm bool) {
	ch := make(chan int, capacity)
	if warm {
		chanRound(ch, n) // steady state: the buffer's pages touched
	}
	el := chanRound(ch, n)
	fmt.Printf("RESULT chan %.2f ns/item\n", float64(el.Nanoseconds())/float64(n))
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_go lock N | chan N CAP W")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "bench_go: bad N")
		os.Exit(2)
	}
	switch {
	case os.Args[1] == "lock":
		benchLock(n)
	case os.Args[1] == "chan" && len(os.Args) == 5:
		capacity, err := strconv.Atoi(os.Args[3])
		warm, err2 := strconv.Atoi(os.Args[4])
		if err != nil || err2 != nil || capacity < 0 {
			fmt.Fprintln(os.Stderr, "bench_go: bad CAP or W")
			os.Exit(2)
		}
		benchChan(n, capacity, warm != 0)
	default:
		fmt.Fprintln(os.Stderr, "bench_go: unknown benchmark", os.Args[1])
		os.Exit(2)
	}
}
