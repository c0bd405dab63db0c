package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/wasmhook/wasmhook"
)

const benchUsage = `usage: wasmhook bench [flags] FILE.wasm...
       wasmhook bench [flags] --modules DIR

Enriches the event N times from CONCURRENCY goroutines and prints, per
callback, its latency (p50 and p99), the time to start an instance, the peak
linear memory of its instances and its largest output, each against the
configured limit, so that you see at once whether a plugin fits. With
--json, the same as a JSON report. Exits 1 when any call failed.

A settings file in DIR (wasmhook.yaml or wasmhook.json) applies as it does
for run: each module's configuration, limits and HTTP grants (headers
from the environment or files included), so that a module that looks
things up benchmarks with its grants; the report then adds its HTTP
requests upstream and its cache hits.

examples:
  wasmhook bench --modules ./plugins -n 10000 -c 2
  wasmhook bench plugin.wasm --event event.json --json

flags:
`

func cmdBench(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("bench", benchUsage, io)
	var ef enricherFlags
	ef.register(fs.FlagSet)
	n := fs.Int("n", 1000, "events to enrich")
	conc := fs.Int("c", 1, "goroutines enriching at once")
	jsonOut := fs.Bool("json", false, "print a JSON report instead of the table")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if err := ef.modules("bench", fs.Args()); err != nil {
		return err
	}
	if *n < 1 || *conc < 1 {
		return hintErr("bench", errors.New("-n and -c must be at least 1"))
	}
	ev, err := ef.readEvent(io)
	if err != nil {
		return err
	}
	e, err := ef.open(ctx, io, slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		return err
	}
	defer e.close(ctx)
	callbacks := e.Callbacks()
	if len(callbacks) == 0 {
		return usageErr(fmt.Errorf("bench: no modules in %s", ef.where()))
	}

	samples := make([][]time.Duration, len(callbacks))
	outputs := make([]int, len(callbacks))
	lookups := make([]lookupTotals, len(callbacks))
	failures := make([]int, len(callbacks))
	firstErr := make([]error, len(callbacks))
	var mu sync.Mutex
	var invalid atomic.Pointer[error]
	var done atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := progress(io.err, &done, *n)
	start := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([][]time.Duration, len(callbacks))
			for next.Add(1) <= int64(*n) {
				res, err := e.Enrich(ctx, ev)
				if res == nil { // an invalid event: every call would fail so
					invalid.CompareAndSwap(nil, &err)
					return
				}
				mu.Lock()
				for i, rep := range res.Reports {
					local[i] = append(local[i], rep.Duration)
					outputs[i] = max(outputs[i], rep.OutputBytes)
					lookups[i].add(rep)
					if rep.Err != nil {
						failures[i]++
						if firstErr[i] == nil {
							firstErr[i] = rep.Err
						}
					}
				}
				mu.Unlock()
				done.Add(1)
			}
			mu.Lock()
			for i := range local {
				samples[i] = append(samples[i], local[i]...)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	if err := invalid.Load(); err != nil {
		return usageErr(fmt.Errorf("event %s: %w", eventName(ef.event), *err))
	}

	stats := e.Stats()
	failedCalls, calls := 0, 0
	for i := range callbacks {
		failedCalls += failures[i]
		calls += len(samples[i])
	}
	var failErr error
	if failedCalls > 0 {
		failErr = &exitError{code: exitFailed, err: fmt.Errorf("bench: %d of %d calls failed", failedCalls, calls)}
	}
	if *jsonOut {
		rep := benchReport{
			Events: done.Load(), Concurrency: *conc, ElapsedNS: int64(elapsed),
			EventsPerSecond: float64(done.Load()) / elapsed.Seconds(), Callbacks: []benchLine{}, Failed: failedCalls,
		}
		for i, cb := range callbacks {
			st := stats[i]
			d := samples[i]
			slices.Sort(d)
			line := benchLine{
				Name: cb.Name, Kind: string(cb.Kind), Calls: len(d), Failed: failures[i],
				P50NS: int64(percentile(d, 50)), P99NS: int64(percentile(d, 99)), StartNS: int64(st.StartTime),
				PeakMemoryBytes: st.PeakMemoryBytes, MaxOutputBytes: outputs[i], ErrorClass: wasmhook.ErrorClass(firstErr[i]),
				Requests: lookups[i].requests, CacheHits: lookups[i].hits, WaitedNS: int64(lookups[i].waited),
			}
			if lim := st.Limits; lim.Timeout > 0 {
				line.Limits = &limitReport{TimeoutNS: int64(lim.Timeout), MemoryBytes: uint64(lim.MemoryBytes), OutputBytes: uint64(lim.OutputBytes)}
			}
			if firstErr[i] != nil {
				line.Error = firstErr[i].Error()
			}
			rep.Callbacks = append(rep.Callbacks, line)
		}
		writeJSON(io.out, rep, true)
		return failErr
	}
	tw := tabwriter.NewWriter(io.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "callback\tkind\tp50\tp99 / timeout\tstart\tpeak memory / limit\tmax output / limit\tfailed")
	for i, cb := range callbacks {
		st := stats[i]
		d := samples[i]
		slices.Sort(d)
		p50, p99 := percentile(d, 50), percentile(d, 99)
		lim := st.Limits
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n",
			cb.Name, cb.Kind, p50.Round(100*time.Nanosecond),
			against(p99.Round(100*time.Nanosecond).String(), float64(p99), lim.Timeout.String(), float64(lim.Timeout)),
			st.StartTime.Round(time.Microsecond),
			against(formatBytes(st.PeakMemoryBytes), float64(st.PeakMemoryBytes), formatBytes(uint64(lim.MemoryBytes)), float64(lim.MemoryBytes)),
			against(formatBytes(uint64(outputs[i])), float64(outputs[i]), formatBytes(uint64(lim.OutputBytes)), float64(lim.OutputBytes)),
			failures[i], len(d))
	}
	tw.Flush()
	fmt.Fprintf(io.out, "%d events in %s from %d goroutines: %.0f events/s\n", done.Load(), elapsed.Round(time.Millisecond), *conc, float64(done.Load())/elapsed.Seconds())
	for i, l := range lookups {
		if l.requests+l.hits > 0 {
			fmt.Fprintf(io.out, "%s looked up over HTTP: %s\n", callbacks[i].Name, l)
		}
	}
	for i, err := range firstErr {
		if err != nil {
			fmt.Fprintf(io.out, "%s failed %d times; first: %s\n", callbacks[i].Name, failures[i], oneLine(err.Error()))
		}
	}
	return failErr
}

// lookupTotals add up a callback's HTTP lookups over the events.
type lookupTotals struct {
	requests, hits int
	waited         time.Duration
}

func (l *lookupTotals) add(rep wasmhook.Report) {
	l.requests += rep.Requests
	l.hits += rep.CacheHits
	l.waited += rep.Waited
}

func (l lookupTotals) String() string {
	s := fmt.Sprintf("%d requests upstream", l.requests)
	if l.requests > 0 {
		s += fmt.Sprintf(" (%s waited in all)", l.waited.Round(time.Microsecond))
	}
	return s + fmt.Sprintf(", %d cache hits", l.hits)
}

// against writes "value / limit (p%)"; native callbacks have no limit.
func against(value string, v float64, limit string, l float64) string {
	if l == 0 {
		return value
	}
	return fmt.Sprintf("%s / %s (%.1f%%)", value, limit, 100*v/l)
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// progress prints a progress line on w every 100 ms while w is a terminal;
// the returned function stops it and clears the line.
func progress(w io.Writer, done *atomic.Int64, total int) func() {
	if !isTerminal(w) {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(w, "\r\033[Kbench: %d/%d events (%d%%)", n, total, n*100/int64(total))
			}
		}
	}()
	return func() { close(quit); <-finished }
}
