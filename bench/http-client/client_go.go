// Go's client for the HTTP client benchmark (bench/http-client/run).
//
//	client_go URL CONC DURATION WARMUP SIZE      (run with GOMAXPROCS=1)
//
// One http.Client whose Transport keeps up to CONC idle connections to the
// host (keep-alive), and CONC goroutines, each looping Get -> io.ReadAll
// (the whole body) -> Close, first for WARMUP seconds (not counted), then
// DURATION seconds measured. Prints START when the measured period begins,
// then
//
//	RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
//	       errors=<n> secs=<measured seconds>
//
// (CPU time from getrusage over the measured period).
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type phase struct {
	end    time.Time
	done   int64
	errors int64
}

var firstError sync.Once

func noteError(err error) {
	firstError.Do(func() { fmt.Fprintln(os.Stderr, "client_go:", err) })
}

func oneRequest(client *http.Client, url string, size int) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || len(body) != size {
		return fmt.Errorf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	return nil
}

func runPhase(client *http.Client, url string, conc, size int, seconds float64) *phase {
	ph := &phase{end: time.Now().Add(time.Duration(seconds * float64(time.Second)))}
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(ph.end) {
				if err := oneRequest(client, url, size); err != nil {
					atomic.AddInt64(&ph.errors, 1)
					noteError(err)
				}
				atomic.AddInt64(&ph.done, 1)
			}
		}()
	}
	wg.Wait()
	return ph
}

func cpu() (float64, float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	u := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	s := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	return u + s, u
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: client_go URL CONC DURATION WARMUP SIZE")
		os.Exit(2)
	}
	url := os.Args[1]
	conc, _ := strconv.Atoi(os.Args[2])
	duration, _ := strconv.ParseFloat(os.Args[3], 64)
	warmup, _ := strconv.ParseFloat(os.Args[4], 64)
	size, _ := strconv.Atoi(os.Args[5])
	tr := &http.Transport{MaxIdleConns: conc + 100, MaxIdleConnsPerHost: conc,
		IdleConnTimeout: 90 * time.Second}
	client := &http.Client{Transport: tr}
	warm := runPhase(client, url, conc, size, warmup)
	fmt.Println("START")
	c0, u0 := cpu()
	t0 := time.Now()
	ph := runPhase(client, url, conc, size, duration)
	secs := time.Since(t0).Seconds()
	c1, u1 := cpu()
	per := 0.0
	if ph.done > 0 {
		per = 1000.0 / float64(ph.done)
	}
	fmt.Printf("RESULT reqs=%.1f cpu_ms=%.3f user_ms=%.3f n=%d errors=%d secs=%.3f\n",
		float64(ph.done)/secs, (c1-c0)*1e3*per, (u1-u0)*1e3*per, ph.done,
		ph.errors+warm.errors, secs)
}
