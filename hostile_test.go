package wasmhook_test

import (
	"context"
	"encoding/json"
	"io"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// hostileLimits keep the hostile tests quick: a runaway costs 50 ms.
var hostileLimits = wasmhook.Limits{Timeout: 50 * time.Millisecond, MemoryBytes: 16 << 20}

// goodContext is what the two good modules around each hostile one add.
var goodContext = map[string]any{"foo": 123.0, "active_branch": nil}

// goroutinesSettle waits until the number of goroutines is back to at most
// base, and fails if it does not within a few seconds.
func goroutinesSettle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left behind (was %d):\n%s", goruntime.NumGoroutine()-base, base, buf[:goruntime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHostileModulesAtRuntime runs each hostile module between two good
// ones, twice: the first event must report the right typed error with the
// good modules' keys intact; the second proves the module's pool recovered
// (a fresh instance fails the same way, nothing hangs); afterwards no
// goroutine is left and the heap is back to small.
func TestHostileModulesAtRuntime(t *testing.T) {
	cases := []struct {
		module string
		kind   error          // nil: must succeed
		adds   map[string]any // what a succeeding module adds
		limits wasmhook.Limits
		data   string
	}{
		{module: "loop", kind: wasmhook.ErrTimeout},
		{module: "call_tree", kind: wasmhook.ErrTimeout},
		{module: "host_loop", kind: wasmhook.ErrTimeout},
		{module: "poll_sleep", kind: wasmhook.ErrTimeout},
		{module: "memory_hog", kind: wasmhook.ErrMemoryLimit},
		{module: "grow_then_status", kind: wasmhook.ErrMemoryLimit},
		{module: "recursion", kind: wasmhook.ErrTrap, limits: wasmhook.Limits{Timeout: 30 * time.Second}}, // stack overflow, after ~1 s of growing the stack
		{module: "trap", kind: wasmhook.ErrTrap},
		{module: "div_zero", kind: wasmhook.ErrTrap},
		{module: "oob_output", kind: wasmhook.ErrTrap},
		{module: "error_set_oob", kind: wasmhook.ErrTrap},
		{module: "log_oob", kind: wasmhook.ErrTrap},
		{module: "huge_len", kind: wasmhook.ErrOutputTooLarge},
		{module: "big_output", kind: wasmhook.ErrOutputTooLarge},
		{module: "not_json", kind: wasmhook.ErrOutputNotJSON},
		{module: "not_json_once", kind: wasmhook.ErrOutputNotJSON},
		{module: "command_not_json", kind: wasmhook.ErrOutputNotJSON},
		{module: "not_object", kind: wasmhook.ErrOutputNotObject},
		{module: "not_object_string", kind: wasmhook.ErrOutputNotObject},
		{module: "not_object_number", kind: wasmhook.ErrOutputNotObject},
		{module: "not_object_true", kind: wasmhook.ErrOutputNotObject},
		{module: "not_utf8", kind: wasmhook.ErrOutputNotUTF8},
		{module: "deep_json", kind: wasmhook.ErrOutputNotJSON, limits: wasmhook.Limits{OutputBytes: 256 << 10}},
		{module: "proc_exit", kind: wasmhook.ErrGuest},
		{module: "proc_exit_code", kind: wasmhook.ErrGuest},
		{module: "log_flood", adds: map[string]any{"flood": "done"}, limits: wasmhook.Limits{Timeout: 10 * time.Second}},
		{module: "stderr_flood", adds: map[string]any{"flood": "done"}, limits: wasmhook.Limits{Timeout: 10 * time.Second}},
		{module: "command_stderr_flood", adds: map[string]any{"flood": "done"}, limits: wasmhook.Limits{Timeout: 10 * time.Second}},
		{module: "command_log_flood", adds: map[string]any{"flood": "done"}, limits: wasmhook.Limits{Timeout: 10 * time.Second}},
		{module: "command_stderr_tail", kind: wasmhook.ErrGuest},
		// A Go panic writes its stack through WASI before it traps, which
		// can outlast hostileLimits' time limit on a loaded machine; the
		// case is about the trap.
		{module: "go", kind: wasmhook.ErrTrap, data: `{"name": "x", "panic": true}`, limits: wasmhook.Limits{Timeout: 10 * time.Second}},
		// Instructions whose cost is not constant, and host calls.
		{module: "fill_loop", kind: wasmhook.ErrTimeout},
		{module: "fill_line", kind: wasmhook.ErrTimeout},
		{module: "copy_loop", kind: wasmhook.ErrTimeout},
		{module: "table_fill_loop", kind: wasmhook.ErrTimeout},
		{module: "random_loop", kind: wasmhook.ErrTimeout},
		{module: "field_flood", kind: wasmhook.ErrTimeout},
		{module: "table_grow", adds: map[string]any{"table": "refused"}},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			base := goruntime.NumGoroutine()
			dir := modulesDir(t, map[string]string{"10-good": "fixed", "20-hostile": c.module, "30-good": "active_branch"})
			ctx := context.Background()
			e, err := wasmhook.New(ctx, wasmhook.Options{
				Dir: dir, Limits: hostileLimits, Logger: testmod.Logger(io.Discard), CompilationCacheDir: compilationCache,
				// The good modules get a generous limit: on a loaded
				// machine, 50 ms can pass between two instructions.
				Modules: map[string]wasmhook.ModuleSettings{"20-hostile": {Limits: c.limits},
					"10-good": {Limits: wasmhook.Limits{Timeout: 10 * time.Second}}, "30-good": {Limits: wasmhook.Limits{Timeout: 10 * time.Second}}},
			})
			require.NoError(t, err)
			ev := siteEvent
			if c.data != "" {
				ev.Data = json.RawMessage(c.data)
			}
			want := map[string]any{}
			for k, v := range goodContext {
				want[k] = v
			}
			for k, v := range c.adds {
				want[k] = v
			}
			for round := 0; round < 2; round++ {
				res, err := e.Enrich(ctx, &ev)
				require.NoError(t, err)
				assert.Equal(t, want, testmod.ContextOf(t, res.Payload), "round %d", round)
				assert.NoError(t, res.Reports[0].Err)
				assert.NoError(t, res.Reports[2].Err)
				if c.kind == nil {
					assert.NoError(t, res.Reports[1].Err, "round %d", round)
				} else {
					assert.ErrorIs(t, res.Reports[1].Err, c.kind, "round %d", round)
				}
				if c.kind == wasmhook.ErrTimeout {
					// Stopped near its limit, not seconds after it: a
					// bound on containment, generous for a loaded machine.
					limit := c.limits.Or(hostileLimits).Timeout
					assert.Less(t, res.Reports[1].Duration, limit+time.Second, "round %d: stopped %v after a %v limit", round, res.Reports[1].Duration, limit)
				}
			}
			require.NoError(t, e.Close(ctx))
			goroutinesSettle(t, base)
			goruntime.GC()
			goruntime.GC() // objects with finalizers (wazero's) go in a second cycle
			var ms goruntime.MemStats
			goruntime.ReadMemStats(&ms)
			assert.Less(t, ms.HeapAlloc, uint64(64<<20), "host heap after close")
		})
	}
}

// TestHostileModulesAtLoad: modules that must not load are reported at
// start-up with the right kind, naming the file; with SkipInvalid the good
// ones load and work.
func TestHostileModulesAtLoad(t *testing.T) {
	cases := map[string]error{
		"bad_import":        wasmhook.ErrBadModule,
		"unknown_host_func": wasmhook.ErrBadModule,
		"v2_marker":         wasmhook.ErrABIMismatch,
		"no_memory":         wasmhook.ErrBadModule,
		"grow_at_start":     wasmhook.ErrBadModule,
		"import_memory":     wasmhook.ErrBadModule,
		"start_trap":        wasmhook.ErrTrap,
		"initialize_loop":   wasmhook.ErrTimeout,
		"table_huge":        wasmhook.ErrBadModule,
		"reserved_export":   wasmhook.ErrBadModule,
		"two_markers":       wasmhook.ErrABIMismatch,
	}
	for module, kind := range cases {
		t.Run(module, func(t *testing.T) {
			dir := modulesDir(t, map[string]string{"10-good": "fixed", "20-hostile": module, "30-good": "active_branch"})
			limits := hostileLimits
			limits.StartTimeout = 100 * time.Millisecond
			_, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, Limits: limits, Logger: testmod.Logger(io.Discard)})
			require.ErrorIs(t, err, kind)
			assert.ErrorContains(t, err, "20-hostile.wasm")

			e := newEnricher(t, wasmhook.Options{Dir: dir, Limits: limits, SkipInvalid: true})
			require.Len(t, e.Skipped(), 1)
			assert.ErrorIs(t, e.Skipped()[0], kind)
			res, err := e.Enrich(context.Background(), &siteEvent)
			require.NoError(t, err)
			assert.Equal(t, goodContext, testmod.ContextOf(t, res.Payload))
		})
	}
}

// TestWASIGrantsNothing: a module probing WASI finds no environment, no
// arguments, no preopened directory and no socket.
func TestWASIGrantsNothing(t *testing.T) {
	t.Setenv("WASMHOOK_SECRET", "do-not-leak")
	dir := modulesDir(t, map[string]string{"probe": "wasi_probe"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	got := testmod.ContextOf(t, res.Payload)
	assert.Equal(t, 0.0, got["environ"], "no environment variables")
	assert.Equal(t, 0.0, got["args"], "no arguments")
	for _, errno := range []string{"prestat", "path_open", "sock_accept", "sock_recv", "sock_send"} {
		assert.NotEqual(t, 0.0, got[errno], "%s must fail", errno)
	}
}

// TestSoak runs 8 goroutines of 1,500 events each through one enricher
// with good and hostile modules mixed: every Enrich returns, and every
// payload carries every good module's keys. The good modules get a generous
// time limit: with hostile ones spinning on both cores, a wall-clock limit
// would otherwise catch good ones starved of CPU.
//
// The size is what the test must show: each event throws away the four
// instances that failed and makes new ones (48,000 in all, through pools of
// 4, which a slot lost on any failure path would soon exhaust), and each
// instance of 50-loop loops on its 50th call, so some 240 calls time out
// among the others.
func TestSoak(t *testing.T) {
	goroutines, events := 8, 1_500
	if testing.Short() {
		events = 500
	}
	dir := modulesDir(t, map[string]string{
		"10-fixed": "fixed", "20-trap": "trap", "30-branch": "active_branch", "40-not-json": "not_json",
		"50-loop": "sometimes_loop", "60-calls": "calls", "70-oob": "oob_output", "80-echo": "echo_config", "90-hog": "memory_hog",
	})
	e := newEnricher(t, wasmhook.Options{Dir: dir, Limits: wasmhook.Limits{Timeout: 10 * time.Second, MemoryBytes: 2 << 20, PoolSize: 4},
		Modules: map[string]wasmhook.ModuleSettings{
			"50-loop": {Limits: wasmhook.Limits{Timeout: 5 * time.Millisecond}},
			"80-echo": {Config: []byte(`{"echo": "config"}`)},
		}})
	var done, timeouts atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < events; i++ {
				res, err := e.Enrich(context.Background(), &siteEvent)
				if err != nil {
					t.Errorf("Enrich: %v", err)
					return
				}
				var p struct{ Context map[string]json.RawMessage }
				if json.Unmarshal(res.Payload, &p) != nil || string(p.Context["foo"]) != "123" ||
					string(p.Context["active_branch"]) != "null" || string(p.Context["echo"]) != `"config"` || p.Context["calls"] == nil {
					t.Errorf("goroutine %d event %d: %s %v", g, i, res.Payload, res.Failed())
					return
				}
				for _, rep := range res.Failed() {
					switch rep.Callback {
					case "20-trap", "40-not-json", "70-oob", "90-hog":
					case "50-loop":
						timeouts.Add(1)
					default:
						t.Errorf("good callback %s failed: %v", rep.Callback, rep.Err)
						return
					}
				}
				if len(res.Failed()) < 4 {
					t.Errorf("want the hostile modules failed, got %v", res.Failed())
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, goroutines*events, done.Load(), "every event came back")
	assert.Positive(t, timeouts.Load(), "the looping module timed out now and then")
	t.Logf("%d events, %d timeouts", done.Load(), timeouts.Load())
}
