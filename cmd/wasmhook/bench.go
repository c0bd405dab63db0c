package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

const benchUsage = `usage: wasmhook bench --modules DIR [--event FILE] [-n N] [-c CONCURRENCY] [flags]

Enriches the event N times from CONCURRENCY goroutines and prints, per
callback, its latency (p50 and p99), the time to start an instance, the peak
linear memory of its instances and its largest output, each against the
configured limit, so that you see at once whether a plugin fits.

example:
  wasmhook bench --modules ./plugins -n 10000 -c 2

flags:
`

func cmdBench(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("bench", benchUsage, io)
	var ef enricherFlags
	ef.register(fs)
	n := fs.Int("n", 1000, "events to enrich")
	conc := fs.Int("c", 1, "goroutines enriching at once")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *n < 1 || *conc < 1 {
		return usageErr(fmt.Errorf("bench: -n and -c must be at least 1"))
	}
	e, ev, err := ef.open(ctx, "bench", io, slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		return err
	}
	defer e.Close(ctx)
	callbacks := e.Callbacks()
	if len(callbacks) == 0 {
		return usageErr(fmt.Errorf("bench: no modules in %s", ef.dir))
	}

	samples := make([][]time.Duration, len(callbacks))
	outputs := make([]int, len(callbacks))
	failures := make([]int, len(callbacks))
	firstErr := make([]error, len(callbacks))
	var mu sync.Mutex
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
				if err != nil {
					continue
				}
				mu.Lock()
				for i, rep := range res.Reports {
					local[i] = append(local[i], rep.Duration)
					outputs[i] = max(outputs[i], rep.OutputBytes)
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

	stats := e.Stats()
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
	for i, err := range firstErr {
		if err != nil {
			fmt.Fprintf(io.out, "%s failed %d times; first: %s\n", callbacks[i].Name, failures[i], oneLine(err.Error()))
		}
	}
	return nil
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
