package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
)

// w1Systems loads W1 and the three systems, checked equal, for tests and
// benchmarks.
func w1Systems(tb testing.TB) (*wasmhook.Event, map[string]system) {
	tb.Helper()
	ctx := context.Background()
	ev, systems, closeSystems, err := openSystems(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(closeSystems)
	return ev, systems
}

// TestPayloadsEqual: every system's payload decodes to the native
// reference's, with W1's expected context in the same key order.
func TestPayloadsEqual(t *testing.T) { w1Systems(t) }

// TestCheckCatchesDifferences: the payload check fails on a different
// value and on a different context key order.
func TestCheckCatchesDifferences(t *testing.T) {
	a := []byte(`{"event": "updated", "context": {"foo": 123, "bar": 1}}`)
	for _, b := range []string{
		`{"event":"updated","context":{"foo":123,"bar":2}}`,
		`{"event":"updated","context":{"bar":1,"foo":123}}`,
		`{"event":"created","context":{"foo":123,"bar":1}}`,
		`{"event":"updated"}`,
	} {
		if samePayload(a, []byte(b)) == nil {
			t.Errorf("samePayload(%s, %s) = nil", a, b)
		}
	}
	if err := samePayload(a, []byte(`{"context":{"foo":123,"bar":1},"event":"updated"}`)); err != nil {
		t.Errorf("same payload, other top-level order: %v", err)
	}
}

// TestGuestEdgeCases runs cb2 (both builds) on inputs beyond W1: escapes,
// surrogate pairs, raw UTF-8, keys before data that contain "data", a
// missing status.
func TestGuestEdgeCases(t *testing.T) {
	ctx := context.Background()
	cases := []struct{ data, want string }{
		{`{"name": "Z\u00fcrich", "status": {"label": "Active", "value": "active"}}`, `{"site_status":"active","name_len":6}`},
		{`{"status": {"value": "pl\"anned"}, "name": "a\ud83d\ude00b\\\"c"}`, `{"site_status":"pl\"anned","name_len":6}`},
		{`{"name": "Zürich 😀", "x": {"name": "nested"}, "status": {"value": null}}`, `{"site_status":null,"name_len":8}`},
		{`{"id": 1, "tags": [{"name": "t", "status": 1}], "name": 7}`, `{"site_status":null,"name_len":null}`},
	}
	// Long names and values, with escapes and multi-byte characters at
	// every offset of the guests' 8-byte words.
	for k := range 17 {
		pad := strings.Repeat("a", k)
		for _, piece := range []string{`\"`, `\\`, `é`, `😀`, `\u00e9`, `\ud83d\ude00`, `x\/y`} {
			name := pad + piece + strings.Repeat("b", 9) + piece + pad
			var decoded string
			if err := json.Unmarshal([]byte(`"`+name+`"`), &decoded); err != nil {
				t.Fatal(err)
			}
			value := `"` + pad + piece + `ok"`
			cases = append(cases, struct{ data, want string }{
				`{"url": "` + name + `", "name": "` + name + `", "status": {"value": ` + value + `}}`,
				`{"site_status":` + value + `,"name_len":` + strconv.Itoa(utf8.RuneCountInString(decoded)) + `}`,
			})
		}
	}
	wh, err := newWasmhook(ctx, wasmhookGuests)
	if err != nil {
		t.Fatal(err)
	}
	defer wh.close(ctx)
	ex, err := newExtism(ctx, extismGuests, 0, "cb2")
	if err != nil {
		t.Fatal(err)
	}
	defer ex.close(ctx)
	for _, c := range cases {
		ev := &wasmhook.Event{ObjectType: "dcim.site", EventType: "object_updated", Data: []byte(c.data)}
		want := `{"foo":123,` + c.want[1:len(c.want)-1] + `,"my_plugin":{"foo":123,"bar":456}}`
		for name, s := range map[string]system{"wasmhook": wh, "extism": ex} {
			p, err := s.enrich(ctx, ev)
			if err != nil {
				t.Errorf("%s on %s: %v", name, c.data, err)
				continue
			}
			if err := checkContext(p, []byte(want)); err != nil {
				t.Errorf("%s on %s: %v", name, c.data, err)
			}
		}
	}
}

// TestStartupModules: the start-up directory's copies differ from one
// another and still load.
func TestStartupModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Go reactor")
	}
	tmp := t.TempDir()
	dir, err := prepareStartup(tmp, false)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.wasm"))
	if len(files) != startupModules {
		t.Fatalf("%d modules, want %d", len(files), startupModules)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if seen[string(b)] {
			t.Fatalf("%s is a byte-identical copy", f)
		}
		seen[string(b)] = true
	}
	if err := startupChild(dir, filepath.Join(tmp, "cache"), 1); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkW1 times each system on W1 (for profiling with -cpuprofile and
// -memprofile; the comparison table is `go run .`).
func BenchmarkW1(b *testing.B) {
	ev, systems := w1Systems(b)
	ctx := context.Background()
	for _, name := range []string{"wasmhook", "wasmhook-into", "wasmhook-into-copy", "native", "extism", "extism-timeout"} {
		s := systems[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.enrich(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("wasmhook-2g", func(b *testing.B) {
		s := systems["wasmhook"]
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.enrich(ctx, ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkWazeroTermination calls W1's wasmhook guests straight through
// wazero (no wasmhook), with minimal host functions, with and without
// WithCloseOnContextDone: the price of wazero's termination checks, which
// wasmhook's time limit relies on (a goroutine per call, and an exit from
// machine code to Go at every loop back-edge of the guest).
func BenchmarkWazeroTermination(b *testing.B) {
	ev, err := loadW1(w1Event)
	if err != nil {
		b.Fatal(err)
	}
	input := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
	for _, checks := range []bool{false, true} {
		for _, name := range callbackNames {
			b.Run(fmt.Sprintf("checks=%v/%s", checks, name), func(b *testing.B) {
				ctx := context.Background()
				rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(checks))
				defer rt.Close(ctx)
				var out []byte
				_, err := rt.NewHostModuleBuilder(abi.ImportModule).
					NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
					n := min(int(api.DecodeU32(s[1])), len(input))
					m.Memory().Write(api.DecodeU32(s[0]), input[:n])
					s[0] = api.EncodeU32(uint32(len(input)))
				}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export(abi.InputReadName).
					NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, m api.Module, s []uint64) {
					b, _ := m.Memory().Read(api.DecodeU32(s[0]), api.DecodeU32(s[1]))
					out = append(out[:0], b...)
				}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export(abi.OutputSetName).
					NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
					[]api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).Export(abi.ErrorSetName).
					Instantiate(ctx)
				if err != nil {
					b.Fatal(err)
				}
				bin, err := os.ReadFile(filepath.Join(wasmhookGuests, name+".wasm"))
				if err != nil {
					b.Fatal(err)
				}
				mod, err := rt.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithStartFunctions("_initialize"))
				if err != nil {
					b.Fatal(err)
				}
				f := mod.ExportedFunction(abi.OnEventName)
				stack := make([]uint64, 1)
				// A cancellable context, as wasmhook passes one per call.
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				b.ReportAllocs()
				for b.Loop() {
					stack[0] = api.EncodeU32(uint32(len(input)))
					if err := f.CallWithStack(cctx, stack); err != nil || stack[0] != 0 {
						b.Fatal(err, stack[0])
					}
				}
				if len(out) == 0 {
					b.Fatal("no output")
				}
			})
		}
	}
}

// TestSections runs the setup of every section after W1's (the modules,
// the events of every size, the Go guests' builds) and the checks each
// makes before timing: every system's payload equal to the reference's,
// the data-size events' contexts, the outputs of bare wazero and
// wasmhook on the loop guests.
func TestSections(t *testing.T) {
	for _, sec := range []string{"references", "languages", "sizes", "loops", "scheduler", "lookups"} {
		t.Run(sec, func(t *testing.T) {
			if err := runSection(io.Discard, sec, 0, "1s", false, false); err != nil {
				t.Fatal(err)
			}
		})
	}
}
