// Command console measures the operator's console of wasmhook serve with
// a big queue: it fills an embedded queue with a week of a busy NetBox
// (1,000,000 events by default, W1-sized bodies enriched by the W1
// modules, 2 to 3 destinations each, mostly delivered, some pending,
// some dead), starts the real wasmhook binary on it with a console
// token, and times each page over loopback HTTP: the deliveries list
// unfiltered, by each filter and combined, each search, deep pages, an
// event, the overview, the dead list. See ../BENCHMARKS.md.
//
// The filled directory is kept (-data) and reused by the next run with
// the same -events and -seed; filling a million events takes minutes.
//
//	cd bench && go run ./console [-events 1000000] [-n 50] [-data DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	events := flag.Int("events", 1_000_000, "events in the filled queue")
	seed := flag.Uint64("seed", 19, "the fill's random seed")
	data := flag.String("data", defaultData(), "the data directory to fill, or reuse when a fill of the same -events and -seed is there")
	n := flag.Int("n", 50, "requests per page measured (p50, p99 over them)")
	fillOnly := flag.Bool("fill-only", false, "fill (or check) the data directory and stop")
	flag.Parse()
	dir := *data
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "wasmhook-bench-console")
	}
	dir = filepath.Join(dir, fmt.Sprintf("events-%d-seed-%d", *events, *seed))
	if err := run(context.Background(), dir, *events, *seed, *n, *fillOnly); err != nil {
		fmt.Fprintln(os.Stderr, "console bench:", err)
		os.Exit(1)
	}
}

// benchDir is the bench directory, which the program runs in (its
// test runs one below).
var benchDir = "."

func defaultData() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "wasmhook", "bench-console")
	}
	return ""
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, dir string, events int, seed uint64, n int, fillOnly bool) error {
	info := readFill(dir, events, seed)
	if info == nil {
		logf("filling %s with %d events", dir, events)
		var err error
		if info, err = fill(ctx, dir, filepath.Join(benchDir, "guests/wasmhook"), events, seed, logf); err != nil {
			return fmt.Errorf("filling %s: %w", dir, err)
		}
		logf("filled in %s: %+v", info.Took, info.Counts)
	} else {
		logf("reusing %s (filled at %s in %s): %+v", dir, info.Epoch.Format(time.RFC3339), info.Took, info.Counts)
	}
	if fillOnly {
		return nil
	}
	return measure(ctx, os.Stdout, dir, info, n)
}
