package wasmhook_test

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// BenchmarkEnrichFanOut compares running an event's callbacks one after
// another with running them on goroutines, for cheap reactors and for slow
// commands. It is what the enricher's cost threshold is based on.
func BenchmarkEnrichFanOut(b *testing.B) {
	cases := map[string]map[string]string{
		"reactors": {"a": "fixed", "b": "active_branch", "c": "echo_config", "d": "calls"},
		"commands": {"a": "command_fixed", "b": "command_config", "c": "command_fixed", "d": "command_config"},
	}
	for name, mods := range cases {
		for _, parallelism := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/parallelism=%d", name, parallelism), func(b *testing.B) {
				dir := modulesDir(b, mods)
				e, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, Parallelism: parallelism, Logger: testmod.Logger(io.Discard)})
				require.NoError(b, err)
				defer e.Close(context.Background())
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					res, err := e.Enrich(ctx, &siteEvent)
					if err != nil || len(res.Failed()) > 0 {
						b.Fatal(err, res.Failed())
					}
				}
			})
		}
	}
}

// TestBenchmarkSetup checks the benchmark's modules before anyone trusts
// its numbers: every callback succeeds and contributes.
func TestBenchmarkSetup(t *testing.T) {
	dir := modulesDir(t, map[string]string{"a": "fixed", "b": "active_branch", "c": "echo_config", "d": "calls"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	require.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil, "calls": 1.0}, testmod.ContextOf(t, res.Payload))
}

// BenchmarkEnrichCheapCallbacks enriches an event with 25 cheap reactors
// (fixed.wasm) with the automatic choice of parallelism and with
// Parallelism 1: the automatic mode must pick one goroutine for them, and
// cost what Parallelism 1 costs. cpu-ns/op is the process's CPU time per
// event: above ns/op, the event used more than one CPU.
func BenchmarkEnrichCheapCallbacks(b *testing.B) {
	mods := map[string]string{}
	settings := map[string]wasmhook.ModuleSettings{}
	for i := range 25 {
		name := fmt.Sprintf("cb%02d", i)
		mods[name] = "fixed"
		settings[name] = wasmhook.ModuleSettings{Nest: wasmhook.NestByName} // no key set twice
	}
	dir := modulesDir(b, mods)
	for _, parallelism := range []int{0, 1} {
		b.Run(fmt.Sprintf("parallelism=%d", parallelism), func(b *testing.B) {
			e := newEnricher(b, wasmhook.Options{Dir: dir, Parallelism: parallelism, Modules: settings})
			ctx := context.Background()
			var res wasmhook.Result
			cpu0 := processCPU()
			b.ReportAllocs()
			for b.Loop() {
				if err := e.EnrichInto(ctx, &siteEvent, &res); err != nil || len(res.Failed()) > 0 {
					b.Fatal(err, res.Failed())
				}
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the process's user and system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
