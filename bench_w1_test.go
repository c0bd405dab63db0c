package wasmhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/runtime"
)

// Workload W1 (testdata/w1): a NetBox dcim.site update with a 1.7 KiB
// site, snapshots and a request, and three callbacks: cb1 returns
// {"foo": 123} without reading its input, cb2 is site_status, cb3 returns
// {"my_plugin": {"foo": 123, "bar": 456}}.

func w1Event(tb testing.TB) *wasmhook.Event {
	tb.Helper()
	raw, err := os.ReadFile("testdata/w1/event.json")
	require.NoError(tb, err)
	ev := new(wasmhook.Event)
	require.NoError(tb, json.Unmarshal(raw, ev))
	return ev
}

// cb2 is site_status in each language, with field reads and (LANG-scan)
// with the SDK's scanner over the whole input; cb1 and cb3 are WAT.
func cb2Modules() map[string]string {
	return map[string]string{
		"c":                   "examples/c/site_status.wasm",
		"c-scan":              "examples/c/site_status_scan.wasm",
		"rust":                "examples/rust/site_status.wasm",
		"rust-scan":           "examples/rust/site_status_scan.wasm",
		"assemblyscript":      "examples/assemblyscript/site_status.wasm",
		"assemblyscript-scan": "examples/assemblyscript/site_status_scan.wasm",
		"wat":                 "examples/wat/site_status.wasm",
		"wat-scan":            "examples/wat/scan/site_status_scan.wasm",
		"go":                  goSiteStatus,
		"go-scan":             goSiteStatusScan,
		"bench-c":             "bench/guests/wasmhook/cb2.wasm",
	}
}

func w1Enricher(tb testing.TB, cb2 string, extra int) *wasmhook.Enricher {
	tb.Helper()
	abs, err := filepath.Abs(cb2)
	require.NoError(tb, err)
	mods := map[string]string{"10-cb1": "fixed", "20-cb2": abs, "30-cb3": "my_plugin"}
	for i := 0; i < extra; i++ {
		mods[fmt.Sprintf("4%d-extra", i)] = "fixed"
	}
	return newEnricher(tb, wasmhook.Options{Dir: modulesDir(tb, mods), Limits: wasmhook.Limits{PoolSize: 2}})
}

// TestW1Setup checks the benchmark's modules before anyone trusts its
// numbers: every language's W1 payload carries the expected context.
func TestW1Setup(t *testing.T) {
	raw, err := os.ReadFile("testdata/w1/expected-context.json")
	require.NoError(t, err)
	var want map[string]any
	require.NoError(t, json.Unmarshal(raw, &want))
	ev := w1Event(t)
	for lang, cb2 := range cb2Modules() {
		e := w1Enricher(t, cb2, 0)
		res, err := e.Enrich(context.Background(), ev)
		require.NoError(t, err, lang)
		require.Empty(t, res.Failed(), lang)
		assert.Equal(t, want, testmod.ContextOf(t, res.Payload), lang)
	}
}

// benchEnrich times e on ev through both APIs: Enrich (a new Result and
// payload per event) and EnrichInto (one Result reused: no allocation).
func benchEnrich(b *testing.B, e *wasmhook.Enricher, ev *wasmhook.Event) {
	b.Run("api=Enrich", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Enrich(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("api=EnrichInto", func(b *testing.B) {
		var res wasmhook.Result
		b.ReportAllocs()
		for b.Loop() {
			if err := e.EnrichInto(context.Background(), ev, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEnrichW1 enriches W1 with cb2 in every language.
func BenchmarkEnrichW1(b *testing.B) {
	ev := w1Event(b)
	for lang, cb2 := range cb2Modules() {
		b.Run("cb2="+lang, func(b *testing.B) {
			benchEnrich(b, w1Enricher(b, cb2, 0), ev)
		})
	}
}

// BenchmarkEnrichW1Callbacks varies the number of callbacks: 0, 1, 3, 10
// (W1's three, then cheap ones), with C's cb2. The cheap ones set the key
// cb1 sets, so every event records seven overwrites in its reports: the
// allocations of the 10-callback case.
func BenchmarkEnrichW1Callbacks(b *testing.B) {
	ev := w1Event(b)
	for _, n := range []int{0, 1, 3, 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var e *wasmhook.Enricher
			switch n {
			case 0:
				e = newEnricher(b, wasmhook.Options{})
			case 1:
				e = newEnricher(b, wasmhook.Options{Dir: modulesDir(b, map[string]string{"cb1": "fixed"})})
			default:
				e = w1Enricher(b, "examples/c/site_status.wasm", n-3)
			}
			benchEnrich(b, e, ev)
		})
	}
}

// BenchmarkEnrichW1Parallel enriches W1 from GOMAXPROCS goroutines,
// through Enrich and through EnrichInto (one Result per goroutine).
func BenchmarkEnrichW1Parallel(b *testing.B) {
	ev := w1Event(b)
	e := w1Enricher(b, "examples/c/site_status.wasm", 0)
	b.Run("api=Enrich", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.Enrich(context.Background(), ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("api=EnrichInto", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var res wasmhook.Result
			for pb.Next() {
				if err := e.EnrichInto(context.Background(), ev, &res); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPayloadW1 is payload assembly alone: no callbacks but native
// ones returning W1's results as raw JSON.
func BenchmarkPayloadW1(b *testing.B) {
	ev := w1Event(b)
	e := newEnricher(b, wasmhook.Options{})
	for name, out := range map[string]string{
		"cb1": `{"foo":123}`, "cb2": `{"site_status":"active","name_len":21}`, "cb3": `{"my_plugin":{"foo":123,"bar":456}}`,
	} {
		raw := json.RawMessage(out)
		require.NoError(b, e.Register(name, func(context.Context, *wasmhook.Input) (any, error) { return raw, nil }))
	}
	benchEnrich(b, e, ev)
}

// BenchmarkEnrichW1Command runs cb2 as a WASI command (a fresh instance
// per event): the zero-SDK path, and why it is documented as slower.
func BenchmarkEnrichW1Command(b *testing.B) {
	ev := w1Event(b)
	e := newEnricher(b, wasmhook.Options{Dir: modulesDir(b, map[string]string{"cb2": "command_echo"})})
	benchEnrich(b, e, ev)
}

// BenchmarkCB2Call is one call of cb2 (site_status) per language, through
// the runtime alone: the per-call cost a plugin's language adds.
func BenchmarkCB2Call(b *testing.B) {
	ev := w1Event(b)
	input := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
	ctx := context.Background()
	eng, err := runtime.NewEngine(ctx, runtime.Config{Logger: testmod.Logger(io.Discard), Limits: runtime.Limits{Timeout: 10 * time.Second}, CompilationCacheDir: compilationCache})
	require.NoError(b, err)
	defer eng.Close(ctx)
	for lang, file := range cb2Modules() {
		bin, err := os.ReadFile(file)
		require.NoError(b, err)
		m, err := eng.Load(ctx, lang, file, bin, runtime.ModuleOptions{})
		require.NoError(b, err)
		b.Run(lang, func(b *testing.B) {
			out := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				if out, err = m.Call(ctx, input, out[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInstanceMemory reports the host memory one instance of cb2
// costs per language: Go heap (wazero's instance structures, the call
// stack) and linear memory (reserved address space; counted here as the
// bytes the guest reached). It loads the module 8 times (each load makes
// one instance; the compiled code is shared) and divides. Run it with
// -benchtime 1x.
func BenchmarkInstanceMemory(b *testing.B) {
	const instances = 8
	ev := w1Event(b)
	input := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
	ctx := context.Background()
	for lang, file := range cb2Modules() {
		b.Run(lang, func(b *testing.B) {
			bin, err := os.ReadFile(file)
			require.NoError(b, err)
			for b.Loop() {
				eng, err := runtime.NewEngine(ctx, runtime.Config{Logger: testmod.Logger(io.Discard), Limits: runtime.Limits{Timeout: 10 * time.Second}, CompilationCacheDir: compilationCache})
				require.NoError(b, err)
				first, err := eng.Load(ctx, lang, file, bin, runtime.ModuleOptions{})
				require.NoError(b, err) // compiles; the loads below share the code
				goruntime.GC()
				var before, after goruntime.MemStats
				goruntime.ReadMemStats(&before)
				var linear uint64
				for i := 0; i < instances; i++ {
					m, err := eng.Load(ctx, fmt.Sprint(lang, i), file, bin, runtime.ModuleOptions{})
					require.NoError(b, err)
					_, err = m.Call(ctx, input, nil)
					require.NoError(b, err)
					linear += m.Stats().PeakMemoryBytes
				}
				goruntime.GC()
				goruntime.ReadMemStats(&after)
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/instances, "heap-B/instance")
				b.ReportMetric(float64(linear)/instances, "linear-B/instance")
				_ = first
				eng.Close(ctx)
			}
		})
	}
}
