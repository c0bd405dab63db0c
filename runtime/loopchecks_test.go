package runtime

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
)

// BenchmarkLoopChecks runs one guest that scans its input byte by byte
// (bench/guests/plain/cb2.c, on W1's input) bare, as wazero compiles it
// without any time-limit check, and as the host rewrites it (instrument):
// the same host functions, the same calls, only the checks differ.
//
// WASMHOOK_GUESTS adds guests of your own, name=file.wasm separated by
// commas (a Go plugin built with GOOS=wasip1, a variant of an example);
// their output is logged, not checked. To see where a guest's time goes,
// build with -tags perfmap (wazero then writes /tmp/perf-PID.map) and run
// the benchmark under perf record: perf report names each guest function
// (bench/BENCHMARKS.md, "The SDKs' paths, profiled").
func BenchmarkLoopChecks(b *testing.B) {
	raw, err := os.ReadFile("../testdata/w1/event.json")
	if err != nil {
		b.Fatal(err)
	}
	var ev struct {
		ObjectType string          `json:"object_type"`
		EventType  string          `json:"event_type"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Fatal(err)
	}
	input := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data}, nil)
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	type guest struct{ name, file string }
	guests := []guest{
		{"plain", "../bench/guests/plain/cb2.wasm"},
		{"swar", "../bench/guests/wasmhook/cb2.wasm"},
		{"c-sdk", "../examples/c/site_status_scan.wasm"},
		{"rust-sdk", "../examples/rust/site_status_scan.wasm"},
		{"as-sdk", "../examples/assemblyscript/site_status_scan.wasm"},
		{"wat", "../examples/wat/scan/site_status_scan.wasm"},
	}
	own := map[string]bool{}
	for _, g := range strings.Split(os.Getenv("WASMHOOK_GUESTS"), ",") {
		if name, file, ok := strings.Cut(g, "="); ok {
			guests = append(guests, guest{name, file})
			own[name] = true
		}
	}
	for _, g := range guests {
		bin, err := os.ReadFile(g.file)
		if err != nil {
			b.Fatal(err)
		}
		instrumented, err := instrument(bin, 64<<20)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			bin  []byte
		}{{"bare", bin}, {"checked", instrumented}} {
			b.Run(g.name+"/"+c.name, func(b *testing.B) {
				compiled, err := e.rt.CompileModule(ctx, c.bin)
				if err != nil {
					b.Fatal(err)
				}
				defer compiled.Close(ctx)
				limits := DefaultLimits()
				var ev Event
				ev.Reset(input, nil, nil)
				s := &callState{limits: &limits, config: []byte("{}"), configDoc: &lazyDoc{raw: []byte("{}")}, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
				s.reset(&ev, nil)
				sctx := context.WithValue(ctx, stateKey{}, s)
				cfg := wazero.NewModuleConfig().WithName("")
				if _, ok := compiled.ExportedFunctions()["_initialize"]; ok {
					cfg = cfg.WithStartFunctions("_initialize")
				}
				mod, err := e.rt.InstantiateModule(sctx, compiled, cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer mod.Close(ctx)
				if start := mod.ExportedFunction(StartFuncName); start != nil {
					if _, err := start.Call(sctx); err != nil {
						b.Fatal(err)
					}
				}
				f := mod.ExportedFunction(abi.OnEventName)
				stack := make([]uint64, 1)
				goruntime.LockOSThread()
				defer goruntime.UnlockOSThread()
				cpu0 := threadCPU()
				b.ReportAllocs()
				for b.Loop() {
					s.reset(&ev, s.output[:0])
					stack[0] = api.EncodeU32(uint32(len(input)))
					if err := f.CallWithStack(sctx, stack); err != nil || stack[0] != 0 {
						b.Fatal(err, stack[0])
					}
				}
				b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N), "cpu-ns/op")
				switch {
				case own[g.name]:
					b.Logf("output %.200s", s.output)
				case string(s.output) != `{"site_status":"active","name_len":21}`:
					b.Fatalf("output %s", s.output)
				}
			})
		}
	}
}

// threadCPU is the CPU time of the calling thread, in nanoseconds: on a
// shared machine, what the guest cost, without the time other processes
// took the CPU.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
