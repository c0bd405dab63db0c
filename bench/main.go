// Command bench compares wasmhook with a native Go reference and with
// Extism's Go SDK on workload W1 (../testdata/w1): per event time and
// allocations, wasmhook on 2 goroutines, and start-up cold and warm. It
// prints one table from one run. See README.md and BENCHMARKS.md.
//
//	cd bench && go run . [-n ROUNDS] [-benchtime 1s] [-startup=false]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook"
)

func main() {
	testing.Init() // testing.Benchmark reads the test.* flags
	rounds := flag.Int("n", 3, "rounds: every system is timed this many times, interleaved; the median is reported")
	benchtime := flag.String("benchtime", "1s", "testing.Benchmark's time per measurement")
	procs := flag.Int("procs", 2, "GOMAXPROCS for the whole run (the 2-goroutine row needs 2)")
	startup := flag.Bool("startup", true, "measure start-up (20 modules, cold and warm)")
	identical := flag.Bool("startup-identical", false, "start-up modules are byte-identical copies (wazero then compiles each distinct module once)")
	sections := flag.String("sections", "w1,references,languages,sizes,loops,scheduler,lookups", "the sections to run, comma-separated: w1 (the systems on W1, with start-up), references (SDK-written plugins against both native references and Extism), languages (site_status per language, field reads and scanner), sizes (data size), loops (time-limit checks against bare wazero), scheduler (25 cheap callbacks), lookups (W1 plus a module that looks the tenant up over HTTP, cache cold and warm)")
	child := flag.String("startup-child", "", "internal: load this directory and print New's times")
	childCache := flag.String("startup-cache", "", "internal: the child's compilation cache directory")
	childRepeat := flag.Int("startup-repeat", 1, "internal: how many enrichers the child creates")
	flag.Parse()

	if *child != "" {
		if err := startupChild(*child, *childCache, *childRepeat); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fatal(err)
	}
	goruntime.GOMAXPROCS(*procs)
	for _, sec := range strings.Split(*sections, ",") {
		if err := runSection(os.Stdout, sec, *rounds, *benchtime, *startup, *identical); err != nil {
			fatal(err)
		}
	}
}

// runSection runs one section of the report.
func runSection(w io.Writer, section string, rounds int, benchtime string, startup, identical bool) error {
	if section == "w1" {
		return run(w, rounds, benchtime, startup, identical)
	}
	ctx := context.Background()
	ev, err := loadW1(w1Event)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "wasmhook-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	switch section {
	case "references":
		return runReferences(ctx, w, tmp, rounds, ev)
	case "languages":
		return runLanguages(ctx, w, tmp, rounds, ev)
	case "sizes":
		return runSizes(ctx, w, tmp, rounds, ev)
	case "loops":
		return runLoops(ctx, w, rounds, ev)
	case "scheduler":
		return runScheduler(ctx, w, tmp, rounds, ev)
	case "lookups":
		return runLookups(ctx, w, tmp, rounds, ev)
	}
	return fmt.Errorf("unknown section %q", section)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// measurement is one row's results, one per round.
type measurement struct {
	name    string
	results []timing
}

// timing is one measurement: testing.Benchmark's result, and the process
// CPU time (user + system, every thread) per event over all the runs
// testing.Benchmark made, which a busy machine distorts less than wall time.
type timing struct {
	testing.BenchmarkResult
	cpuPerOp float64
}

func nsPerOp(r timing) float64 {
	if r.N == 0 {
		return 0
	}
	return float64(r.T.Nanoseconds()) / float64(r.N)
}

// median returns the round with the median time.
func (m *measurement) median() timing {
	rs := slices.Clone(m.results)
	sort.Slice(rs, func(i, j int) bool { return nsPerOp(rs[i]) < nsPerOp(rs[j]) })
	return rs[len(rs)/2]
}

func (m *measurement) spread() (lo, hi float64) {
	lo, hi = nsPerOp(m.results[0]), nsPerOp(m.results[0])
	for _, r := range m.results[1:] {
		lo, hi = min(lo, nsPerOp(r)), max(hi, nsPerOp(r))
	}
	return lo, hi
}

// timeSerial times one event after another on one goroutine.
func timeSerial(ctx context.Context, s system, ev *wasmhook.Event) (timing, error) {
	var failure error
	var events int
	cpu0 := processCPU()
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		events += b.N
		for i := 0; i < b.N; i++ {
			if _, err := s.enrich(ctx, ev); err != nil {
				failure = err
				b.FailNow()
			}
		}
	})
	return finish(r, cpu0, events, failure)
}

func finish(r testing.BenchmarkResult, cpu0 time.Duration, events int, failure error) (timing, error) {
	t := timing{BenchmarkResult: r}
	if events > 0 {
		t.cpuPerOp = float64(processCPU()-cpu0) / float64(events)
	}
	if failure == nil && r.N == 0 {
		failure = fmt.Errorf("the benchmark did not run")
	}
	return t, failure
}

// onOneCPU runs f with GOMAXPROCS 1: one goroutine that cannot hand
// work (a garbage collector's marking, above all) to an idle second CPU, as
// on a host whose CPUs are all busy.
func onOneCPU(f func() (timing, error)) (timing, error) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(1))
	return f()
}

// timeParallel times events on GOMAXPROCS goroutines (b.RunParallel);
// each goroutine enriches through the system perGoroutine returns for it.
func timeParallel(ctx context.Context, perGoroutine func() system, ev *wasmhook.Event) (timing, error) {
	var mu sync.Mutex
	var failure error
	var events int
	cpu0 := processCPU()
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		events += b.N
		b.RunParallel(func(pb *testing.PB) {
			s := perGoroutine()
			for pb.Next() {
				if _, err := s.enrich(ctx, ev); err != nil {
					mu.Lock()
					failure = err
					mu.Unlock()
					return
				}
			}
		})
	})
	return finish(r, cpu0, events, failure)
}

// checkSystems checks every system's payload against the native
// reference's and W1's expected context, and wasmhook's on 2 goroutines,
// before anything is timed.
func checkSystems(ctx context.Context, ev *wasmhook.Event, expected []byte, systems map[string]system) error {
	ref, err := nativeSystem{}.enrich(ctx, ev)
	if err != nil {
		return fmt.Errorf("native: %w", err)
	}
	if err := checkContext(ref, expected); err != nil {
		return fmt.Errorf("native: %w", err)
	}
	for name, s := range systems {
		for range 3 { // reused instances and buffers: check more than the first call
			p, err := s.enrich(ctx, ev)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := samePayload(ref, p); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := checkContext(p, expected); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	wh := systems["wasmhook"]
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				p, err := wh.enrich(ctx, ev)
				if err == nil {
					err = samePayload(ref, p)
				}
				if err != nil {
					errs[g] = fmt.Errorf("wasmhook on 2 goroutines: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func run(w io.Writer, rounds int, benchtime string, startup, identical bool) error {
	if rounds < 1 {
		return fmt.Errorf("-n must be at least 1")
	}
	ctx := context.Background()
	ev, systems, closeSystems, err := openSystems(ctx)
	if err != nil {
		return err
	}
	defer closeSystems()
	wh, whInto, whCopy := systems["wasmhook"].(*wasmhookSystem), systems["wasmhook-into"], systems["wasmhook-into-copy"]
	ex, exT := systems["extism"], systems["extism-timeout"]
	fmt.Fprintf(os.Stderr, "payloads checked equal (native, wasmhook Enrich, EnrichInto and EnrichInto with a copy, Extism without and with a timeout; wasmhook on 2 goroutines)\n")

	load0 := loadAverage()
	rows := []*measurement{
		{name: "wasmhook"}, {name: "native"}, {name: "extism"}, {name: "wasmhook-2g"}, {name: "extism-timeout"}, {name: "native-2g"},
		{name: "wasmhook-into"}, {name: "wasmhook-into-2g"},
		{name: "wasmhook-into-copy"}, {name: "wasmhook-1cpu"}, {name: "wasmhook-into-1cpu"}, {name: "extism-1cpu"},
	}
	timers := []func() (timing, error){
		func() (timing, error) { return timeSerial(ctx, wh, ev) },
		func() (timing, error) { return timeSerial(ctx, nativeSystem{}, ev) },
		func() (timing, error) { return timeSerial(ctx, ex, ev) },
		func() (timing, error) { return timeParallel(ctx, func() system { return wh }, ev) },
		func() (timing, error) { return timeSerial(ctx, exT, ev) },
		func() (timing, error) { return timeParallel(ctx, func() system { return nativeSystem{} }, ev) },
		func() (timing, error) { return timeSerial(ctx, whInto, ev) },
		func() (timing, error) {
			return timeParallel(ctx, func() system { return &wasmhookIntoSystem{e: wh.e} }, ev)
		},
		func() (timing, error) { return timeSerial(ctx, whCopy, ev) },
		func() (timing, error) { return onOneCPU(func() (timing, error) { return timeSerial(ctx, wh, ev) }) },
		func() (timing, error) { return onOneCPU(func() (timing, error) { return timeSerial(ctx, whInto, ev) }) },
		func() (timing, error) { return onOneCPU(func() (timing, error) { return timeSerial(ctx, ex, ev) }) },
	}
	for r := range rounds {
		// Interleaved, and the order rotates each round, so that a noisy
		// neighbour does not always hit the same system.
		for j := range rows {
			i := (j + r) % len(rows)
			fmt.Fprintf(os.Stderr, "round %d/%d: %s...", r+1, rounds, rows[i].name)
			res, err := timers[i]()
			if err != nil {
				return fmt.Errorf("%s: %w", rows[i].name, err)
			}
			fmt.Fprintf(os.Stderr, " %.0f ns/event\n", nsPerOp(res))
			rows[i].results = append(rows[i].results, res)
		}
	}
	load1 := loadAverage()

	var st *startupResult
	if startup {
		fmt.Fprintf(os.Stderr, "start-up: %d rounds of cold and warm...\n", rounds)
		if st, err = measureStartup(rounds, identical); err != nil {
			return err
		}
	}
	printReport(w, ev, rows, st, rounds, benchtime, identical, load0, load1, loadAverage())
	return nil
}

func printReport(w io.Writer, ev *wasmhook.Event, rows []*measurement, st *startupResult, rounds int, benchtime string, identical bool, load0, load1, load2 string) {
	fmt.Fprintf(w, "machine: %d CPUs (%s), GOMAXPROCS %d, %s %s/%s; wazero %s, extism go-sdk %s\n",
		goruntime.NumCPU(), cpuModel(), goruntime.GOMAXPROCS(0), goruntime.Version(), goruntime.GOOS, goruntime.GOARCH,
		depVersion("github.com/tetratelabs/wazero"), depVersion("github.com/extism/go-sdk"))
	fmt.Fprintf(w, "load average (1, 5, 15 min): %s before timing, %s after, %s after start-up\n", load0, load1, load2)
	fmt.Fprintf(w, "W1: %s %s, data %d bytes, 3 callbacks (C reactors); %d rounds of testing.Benchmark (benchtime %s), interleaved; median round shown\n\n",
		ev.ObjectType, ev.EventType, len(ev.Data), rounds, benchtime)

	wh, native, ex, wh2 := rows[0].median(), rows[1].median(), rows[2].median(), rows[3].median()
	base := nsPerOp(wh)
	fmt.Fprintln(w, "| measurement | wall time | min–max over rounds | CPU time/event | allocs/event | B/event | ratio |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	row := func(label, time string, m *measurement, ratio string) {
		r := m.median()
		lo, hi := m.spread()
		fmt.Fprintf(w, "| %s | %s | %s–%s | %s | %d | %d | %s |\n",
			label, time, fmtNs(lo), fmtNs(hi), fmtNs(r.cpuPerOp), r.AllocsPerOp(), r.AllocedBytesPerOp(), ratio)
	}
	perEvent := func(m *measurement) string { return fmtNs(nsPerOp(m.median())) + "/event" }
	vsBase := func(m *measurement) string { return fmt.Sprintf("%.2fx wasmhook's time", nsPerOp(m.median())/base) }
	row("wasmhook: Enrich, C reactors, 1 goroutine", perEvent(rows[0]), rows[0], "1.00x")
	into := rows[6].median()
	row("wasmhook: EnrichInto, one Result reused (allocation-free), 1 goroutine", perEvent(rows[6]), rows[6], vsBase(rows[6]))
	row("native Go reference: encoding/json", perEvent(rows[1]), rows[1], vsBase(rows[1]))
	row("Extism go-sdk v1.7.1: same C logic, Extism ABI, no timeout (its default)", perEvent(rows[2]), rows[2], vsBase(rows[2]))
	eps1, eps2 := 1e9/base, 1e9/nsPerOp(wh2)
	row("wasmhook: Enrich, 2 goroutines (b.RunParallel)",
		fmt.Sprintf("%s/event = %s events/s", fmtNs(nsPerOp(wh2)), fmtCount(eps2)), rows[3],
		fmt.Sprintf("%.2fx the events/s of 1 goroutine (%s/s); the process used %.2f CPUs on average", eps2/eps1, fmtCount(eps1), wh2.cpuPerOp/nsPerOp(wh2)))
	into2 := rows[7].median()
	epsInto1, epsInto2 := 1e9/nsPerOp(into), 1e9/nsPerOp(into2)
	row("wasmhook: EnrichInto, 2 goroutines (one Result each)",
		fmt.Sprintf("%s/event = %s events/s", fmtNs(nsPerOp(into2)), fmtCount(epsInto2)), rows[7],
		fmt.Sprintf("%.2fx the events/s of 1 goroutine (%s/s); the process used %.2f CPUs on average", epsInto2/epsInto1, fmtCount(epsInto1), into2.cpuPerOp/nsPerOp(into2)))
	row("Extism go-sdk v1.7.1 with timeout_ms set (termination checks on, as in wasmhook)", perEvent(rows[4]), rows[4], vsBase(rows[4]))
	intoCopy := rows[8].median()
	row("control: EnrichInto, then a copy of the payload into a new buffer (bytes.Clone)", perEvent(rows[8]), rows[8],
		fmt.Sprintf("%.2fx wasmhook's time: a new payload buffer costs %s, Enrich costs %s more than EnrichInto", nsPerOp(intoCopy)/base,
			fmtNs(nsPerOp(intoCopy)-nsPerOp(into)), fmtNs(base-nsPerOp(into))))
	wh1, into1, ex1 := rows[9].median(), rows[10].median(), rows[11].median()
	row("one CPU (GOMAXPROCS 1): wasmhook Enrich", perEvent(rows[9]), rows[9], "1.00x")
	row("one CPU (GOMAXPROCS 1): wasmhook EnrichInto", perEvent(rows[10]), rows[10], fmt.Sprintf("%.2fx Enrich's time on one CPU", nsPerOp(into1)/nsPerOp(wh1)))
	row("one CPU (GOMAXPROCS 1): Extism, no timeout", perEvent(rows[11]), rows[11], fmt.Sprintf("%.2fx Enrich's time on one CPU", nsPerOp(ex1)/nsPerOp(wh1)))
	native2 := rows[5].median()
	nat1, nat2 := 1e9/nsPerOp(native), 1e9/nsPerOp(native2)
	row("control: native reference, 2 goroutines (what parallelism the machine gave)",
		fmt.Sprintf("%s/event = %s events/s", fmtNs(nsPerOp(native2)), fmtCount(nat2)), rows[5],
		fmt.Sprintf("%.2fx the events/s of 1 goroutine; the process used %.2f CPUs on average", nat2/nat1, native2.cpuPerOp/nsPerOp(native2)))
	if st != nil {
		copies := "distinct copies"
		if identical {
			copies = "identical copies"
		}
		cold, warm, same := medianDur(st.cold), medianDur(st.warm), medianDur(st.warmSame)
		srow := func(label string, d time.Duration, ds []time.Duration, ratio string) {
			fmt.Fprintf(w, "| %s | %s | %s–%s | | | | %s |\n", label, fmtDur(d), fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds)), ratio)
		}
		srow(fmt.Sprintf("start-up cold: New, 20 modules (10 Go + 10 C reactors, %s), empty cache dir, new process", copies), cold, st.cold, "")
		srow("start-up warm: same cache dir, new process", warm, st.warm, fmt.Sprintf("%.1f%% of cold", 100*float64(warm)/float64(cold)))
		srow("start-up warm: same cache dir, second New in the cold process", same, st.warmSame, fmt.Sprintf("%.1f%% of cold", 100*float64(same)/float64(cold)))
	}

	fmt.Fprintln(w, "\ntargets (time ratios on wall time, and on CPU time, which a busy machine distorts less):")
	target := func(ok bool, format string, args ...any) {
		mark := "MET "
		if !ok {
			mark = "MISS"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, fmt.Sprintf(format, args...))
	}
	wallNative, cpuNative := base/nsPerOp(native), wh.cpuPerOp/native.cpuPerOp
	target(wallNative <= 0.25 && cpuNative <= 0.25, "wasmhook <= 0.25x the native reference's time: %.2fx wall, %.2fx CPU", wallNative, cpuNative)
	// MET needs wall and CPU time on GOMAXPROCS 2; the one-CPU ratio is
	// shown beside them.
	wallExtism, cpuExtism := nsPerOp(ex)/base, ex.cpuPerOp/wh.cpuPerOp
	target(wallExtism >= 30 && cpuExtism >= 30, "wasmhook (Enrich) >= 30x faster than Extism: %.1fx wall, %.1fx CPU (on one CPU: %.1fx wall)",
		wallExtism, cpuExtism, nsPerOp(ex1)/nsPerOp(wh1))
	wallInto, cpuInto := nsPerOp(ex)/nsPerOp(into), ex.cpuPerOp/into.cpuPerOp
	target(wallInto >= 30 && cpuInto >= 30, "wasmhook (EnrichInto) >= 30x faster than Extism: %.1fx wall, %.1fx CPU (on one CPU: %.1fx wall)",
		wallInto, cpuInto, nsPerOp(ex1)/nsPerOp(into1))
	target(wh.AllocsPerOp() <= 10, "wasmhook <= 10 host allocations per event: %d", wh.AllocsPerOp())
	if eps2 < 1.7*eps1 && nat2 < 1.7*nat1 {
		fmt.Fprintf(w, "  ???? 2 goroutines >= 1.7x the events/s of 1: %.2fx, not measurable in this run: the native control scaled %.2fx (the process got %.2f CPUs on average with 2 goroutines)\n",
			eps2/eps1, nat2/nat1, wh2.cpuPerOp/nsPerOp(wh2))
	} else {
		target(eps2 >= 1.7*eps1, "2 goroutines >= 1.7x the events/s of 1 (Enrich): %.2fx (native control: %.2fx)", eps2/eps1, nat2/nat1)
	}
	target(epsInto2 >= 1.7*epsInto1, "2 goroutines >= 1.7x the events/s of 1 (EnrichInto): %.2fx (native control: %.2fx)", epsInto2/epsInto1, nat2/nat1)
	if st != nil {
		cold, warm := medianDur(st.cold), medianDur(st.warm)
		target(float64(warm) <= 0.15*float64(cold), "warm start <= 15%% of cold (new process): %.1f%%", 100*float64(warm)/float64(cold))
	}
}

// loadAverage returns /proc/loadavg's three load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func medianDur(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtDur(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func depVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "?"
}
