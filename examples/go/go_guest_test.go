// Package gosdk_test runs the Go guests of this directory through the real
// host: it builds them from source with the go tool (GOOS=wasip1), loads
// them with package runtime, and checks what only a real instance shows:
// the memory of a Go instance serving many events, and the SDK's wasip1
// layer (error_set, log, config_read, recovered panics). The outputs of
// site_status and of the command on every fixture are checked by
// ../conformance_test.go; the command is only benchmarked here.
package gosdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/runtime"
)

// guest is one Go module of this directory, built once per test binary.
type guest struct {
	dir     string
	reactor bool

	once sync.Once
	wasm []byte
	err  error
}

var guests = map[string]*guest{
	"site_status":         {dir: "site_status", reactor: true},
	"site_status_json":    {dir: "testdata/site_status_json", reactor: true},
	"site_status_command": {dir: "command"},
}

var (
	buildDir string

	// One engine for the package, and modules never closed before its
	// end: wazero then reads each module from the cache once. The cache
	// is filled before the engine starts, outside this -race binary,
	// where compiling a Go guest takes tens of seconds.
	engineOnce sync.Once
	engine     *runtime.Engine
	engineErr  error
	logs       syncBuffer
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhook-go-guests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	buildDir = dir
	code := m.Run()
	if engine != nil {
		engine.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

type syncBuffer = testmod.LogBuffer

// build returns the module built from a guest's source: the build commands
// of the READMEs (go test puts its own go first on PATH).
func build(t testing.TB, name string) []byte {
	t.Helper()
	wasm, err := guests[name].build(name)
	require.NoError(t, err)
	return wasm
}

// build builds the guest once per test binary.
func (g *guest) build(name string) ([]byte, error) {
	g.once.Do(func() {
		out := filepath.Join(buildDir, name+".wasm")
		if g.err = testmod.BuildGo(g.dir, out, g.reactor); g.err != nil {
			return
		}
		g.wasm, g.err = os.ReadFile(out)
	})
	return g.wasm, g.err
}

// load loads a guest into the package's engine, with its own limits.
func load(t testing.TB, name, config string, limits runtime.Limits) *runtime.Module {
	t.Helper()
	engineOnce.Do(func() {
		var files []string
		for name, g := range guests {
			if _, engineErr = g.build(name); engineErr != nil {
				return
			}
			files = append(files, filepath.Join(buildDir, name+".wasm"))
		}
		cache := filepath.Join(buildDir, "cache")
		if engineErr = testmod.Precompile(cache, nil, files...); engineErr != nil {
			return
		}
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		engine, engineErr = runtime.NewEngine(context.Background(), runtime.Config{Logger: logger, CompilationCacheDir: cache})
	})
	require.NoError(t, engineErr)
	m, err := engine.Load(context.Background(), name, name+".wasm", build(t, name),
		runtime.ModuleOptions{Config: []byte(config), Limits: limits})
	require.NoError(t, err)
	return m
}

// siteInput is the ABI input of an update to a realistic NetBox site: the
// 1.6 KiB data object the SDK's benchmarks use.
func siteInput(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../../guest-sdk/go/testdata/site.json")
	require.NoError(t, err)
	return abi.AppendInput(nil, &abi.Input{ObjectType: "dcim.site", EventType: "object_updated", Data: bytes.TrimSpace(data)}, nil)
}

const siteWant = `{"geo":{"site_status":"active","name_len":13}}`

// TestMemoryStopsGrowing is the check TOOLCHAINS.md asks for: standard-Go
// guests elsewhere ran out of memory under sustained load. One instance
// (PoolSize 1) serves every event, and its linear memory once warm must
// be its memory at the end. site_status, which allocates nothing per
// event, serves 100,000 events. site_status_json allocates about 12 KB on
// every one, so the garbage collector inside the instance must run; it
// serves 10,000, at about 0.4 ms each: its memory stops growing after
// some 800, and a collection follows every few hundred events.
func TestMemoryStopsGrowing(t *testing.T) {
	input := siteInput(t)
	for _, tt := range []struct {
		name        string
		warm, total int
	}{
		{"site_status", 10_000, 100_000},
		{"site_status_json", 2_000, 10_000},
	} {
		name, warm, total := tt.name, tt.warm, tt.total
		t.Run(name, func(t *testing.T) {
			// A collection in a loaded test machine can take longer than
			// the default 200 ms; this test is about memory, not time.
			m := load(t, name, `{"namespace":"geo"}`, runtime.Limits{PoolSize: 1, Timeout: 10 * time.Second})
			ctx := context.Background()
			var out []byte
			var err error
			var peakWarm uint64
			start := time.Now()
			for i := 1; i <= total; i++ {
				out, err = m.Call(ctx, input, out[:0])
				if err != nil || string(out) != siteWant {
					require.NoError(t, err, "call %d", i)
					require.Equal(t, siteWant, string(out), "call %d", i)
				}
				if i == warm {
					peakWarm = m.Stats().PeakMemoryBytes
				}
			}
			elapsed := time.Since(start)
			st := m.Stats()
			t.Logf("%s: peak linear memory %d bytes after %d calls, %d after %d; %v for %d calls (%v per call)",
				name, peakWarm, warm, st.PeakMemoryBytes, total, elapsed.Round(time.Millisecond), total, elapsed/time.Duration(total))
			assert.Equal(t, int64(1), st.Created, "one instance served every call")
			assert.Zero(t, st.Discarded)
			assert.Equal(t, int64(total), st.Calls)
			assert.Equal(t, peakWarm, st.PeakMemoryBytes, "the instance's memory grew between call %d and call %d", warm, total)
		})
	}
}

// TestSDKThroughHost checks the SDK's wasip1 layer, which native tests
// cannot reach, on the test module site_status_json.
func TestSDKThroughHost(t *testing.T) {
	m := load(t, "site_status_json", `{"namespace":"geo"}`, runtime.Limits{PoolSize: 1})
	call := func(eventType string) (string, error) {
		in := abi.AppendInput(nil, &abi.Input{ObjectType: "dcim.site", EventType: eventType, Data: []byte(`{"id":1}`)}, nil)
		out, err := m.Call(context.Background(), in, nil)
		return string(out), err
	}

	out, err := call("object_updated")
	require.NoError(t, err)
	assert.Equal(t, `{"geo":{}}`, out)

	_, err = call("fail")
	assert.ErrorIs(t, err, abi.ErrGuest)
	assert.ErrorContains(t, err, "site_status_json: asked to fail")

	_, err = call("panic")
	assert.ErrorIs(t, err, abi.ErrGuest)
	assert.ErrorContains(t, err, "panic: assignment to entry in nil map")

	out, err = call("log")
	require.NoError(t, err)
	assert.Equal(t, `{"logged":4}`, out)
	for _, line := range []string{"level=DEBUG", "debug line", "level=INFO", "info line", "level=WARN", "warn line", "level=ERROR", "error line"} {
		assert.Contains(t, logs.String(), line)
	}

	// Calls go on after failures. (The host throws an instance away after
	// any failed call, so this says nothing of the SDK's own recovery:
	// the native tests check that.)
	out, err = call("object_updated")
	require.NoError(t, err)
	assert.Equal(t, `{"geo":{}}`, out)
}

// TestObjectKeysInWasm writes keys through the SDK's Object inside a
// real instance, where its keys of 1 to 16 bytes take a path of their own
// (two 8-byte loads, the first of a short key reaching into the memory
// before it): every length from 0 to 20, each with a character that needs
// escaping at each position, and non-ASCII ones. The output must be valid
// JSON and give back every key, in order, with its value.
func TestObjectKeysInWasm(t *testing.T) {
	m := load(t, "site_status_json", `{}`, runtime.Limits{PoolSize: 1})
	var keys []string
	for n := 0; n <= 20; n++ {
		plain := strings.Repeat("k", n)
		keys = append(keys, plain)
		for i := 0; i < n; i++ {
			for _, c := range []string{`"`, `\`, "\n", "\u0001", "\u001f", "é", "\u007f", "€"} {
				keys = append(keys, plain[:i]+c+plain[i+1:])
			}
		}
	}
	keys = append(keys, "a", "site_status", "name_len", "0123456789abcdef", "0123456789abcdefg")
	// Unique keys, in the order written: the decoded members must match.
	seen := map[string]bool{}
	var want []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			want = append(want, k)
		}
	}
	raw, err := json.Marshal(want)
	require.NoError(t, err)
	in := abi.AppendInput(nil, &abi.Input{ObjectType: "dcim.site", EventType: "keys", Data: raw}, nil)
	for call := range 3 { // the first call grows the buffer; the next reuse it
		out, err := m.Call(context.Background(), in, nil)
		require.NoError(t, err, "call %d", call)
		require.True(t, json.Valid(out), "call %d: %s", call, out)
		dec := json.NewDecoder(bytes.NewReader(out))
		tok, err := dec.Token()
		require.NoError(t, err)
		require.Equal(t, json.Delim('{'), tok)
		for i, k := range want {
			tok, err := dec.Token()
			require.NoError(t, err, "member %d", i)
			require.Equal(t, k, tok, "call %d: member %d in %s", call, i, out)
			var v any
			require.NoError(t, dec.Decode(&v))
			if i < len(want)-1 {
				require.Equal(t, float64(i), v, "member %d", i)
			} else {
				require.Equal(t, map[string]any{k: float64(i)}, v)
			}
		}
		require.False(t, dec.More(), "call %d: more members than keys", call)
	}
}

// BenchmarkGoGuests compares, through the host, one event on the 1.6 KiB
// site: the SDK's fast path, the same plugin with encoding/json, and the
// command (a fresh instance per event).
func BenchmarkGoGuests(b *testing.B) {
	input := siteInput(b)
	for _, name := range []string{"site_status", "site_status_json", "site_status_command"} {
		b.Run(name, func(b *testing.B) {
			m := load(b, name, `{"namespace":"geo"}`, runtime.Limits{PoolSize: 1})
			ctx := context.Background()
			var out []byte
			var err error
			b.ReportAllocs()
			for b.Loop() {
				if out, err = m.Call(ctx, input, out[:0]); err != nil {
					b.Fatal(err)
				}
			}
			if string(out) != siteWant {
				b.Fatalf("output %s", out)
			}
		})
	}
}
