// Go's side of the core benchmarks, same figures and output as
// weft-bench-core:
//
//	bench_go yield|spawn|timer-cancel|timer-fire|park N [batch]
//
// Run with GOMAXPROCS=1 so goroutines share one thread, as weft tasks do.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func benchYield(n int) {
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("RESULT yield %.2f ns/switch\n", float64(el.Nanoseconds())/float64(2*n))
}

// spawnBatches starts n goroutines, batch at a time, and waits for them.
func spawnBatches(n, batch int) {
	var wg sync.WaitGroup
	for done := 0; done < n; done += batch {
		k := batch
		if n-done < k {
			k = n - done
		}
		wg.Add(k)
		for i := 0; i < k; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
	}
}

func benchSpawn(n, batch int) {
	spawnBatches(batch, batch) // untimed warm-up: steady state
	start := time.Now()
	spawnBatches(n, batch)
	el := time.Since(start)
	fmt.Printf("RESULT spawn %.2f ns/task\n", float64(el.Nanoseconds())/float64(n))
}

// spreadDelay spreads deadlines over 1 ms, as the weft and asyncio versions.
func spreadDelay(i int) time.Duration {
	return time.Millisecond + time.Duration(i%1000)*time.Microsecond
}

func benchTimerCancel(n int) {
	never := func() { panic("a stopped timer fired") }
	start := time.Now()
	for i := 0; i < n; i++ {
		t := time.AfterFunc(10*time.Second+spreadDelay(i), never)
		t.Stop()
	}
	el := time.Since(start)
	fmt.Printf("RESULT timer-cancel %.2f ns/timer\n", float64(el.Nanoseconds())/float64(n))
}

func timerFireRound(n int) time.Duration {
	var wg sync.WaitGroup
	wg.Add(n)
	fired := func() { wg.Done() }
	start := time.Now()
	for i := 0; i < n; i++ {
		time.AfterFunc(spreadDelay(i), fired)
	}
	wg.Wait()
	return time.Since(start)
}

// One untimed round first, as in every implementation (steady state).
func benchTimerFire(n int) {
	timerFireRound(n)
	el := timerFireRound(n)
	fmt.Printf("RESULT timer-fire %.2f ns/timer\n", float64(el.Nanoseconds())/float64(n))
}

// vmRSSKiB reads VmRSS from /proc/self/status.
func vmRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return v
		}
	}
	return -1
}

func benchPark(n int) {
	ev := make(chan struct{})
	var parked, woke sync.WaitGroup
	parked.Add(n)
	woke.Add(n)
	runtime.GC()
	before := vmRSSKiB()
	for i := 0; i < n; i++ {
		go func() {
			parked.Done()
			<-ev
			woke.Done()
		}()
	}
	parked.Wait()
	runtime.Gosched() // the last goroutines reach the receive
	after := vmRSSKiB()
	fmt.Printf("RESULT park %.1f bytes/task\n", float64(after-before)*1024/float64(n))
	close(ev)
	woke.Wait()
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_go yield|spawn|timer-cancel|timer-fire|park N [batch]")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "bench_go: bad N")
		os.Exit(2)
	}
	batch := 1000
	if len(os.Args) > 3 {
		batch, _ = strconv.Atoi(os.Args[3])
	}
	switch os.Args[1] {
	case "yield":
		benchYield(n)
	case "spawn":
		benchSpawn(n, batch)
	case "timer-cancel":
		benchTimerCancel(n)
	case "timer-fire":
		benchTimerFire(n)
	case "park":
		benchPark(n)
	default:
		fmt.Fprintln(os.Stderr, "bench_go: unknown benchmark", os.Args[1])
		os.Exit(2)
	}
}
