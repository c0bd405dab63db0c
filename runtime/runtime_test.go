package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
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

const input = `{"object_type":"dcim.site","event_type":"object_updated","data":{"name":"Z\u00fcrich","status":{"value":"active"}},"request":null}`

func watFile(name string) string { return testmod.Path(name) }

func wat(t testing.TB, name string) []byte { return testmod.Read(t, name) }

type syncBuffer = testmod.LogBuffer

func newEngine(t testing.TB, limits runtime.Limits, logs io.Writer) *runtime.Engine {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.Config{
		Limits: limits,
		Logger: testmod.Logger(logs),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(ctx)) })
	return e
}

func load(t testing.TB, e *runtime.Engine, name string, opts runtime.ModuleOptions) *runtime.Module {
	t.Helper()
	m, err := e.Load(context.Background(), name, watFile(name), wat(t, name), opts)
	require.NoError(t, err)
	return m
}

func call(t testing.TB, m *runtime.Module) (string, error) {
	t.Helper()
	out, err := m.Call(context.Background(), []byte(input), nil)
	return string(out), err
}

func TestReactorOutputsInputAndConfig(t *testing.T) {
	e := newEngine(t, runtime.Limits{}, nil)

	fixed := load(t, e, "fixed", runtime.ModuleOptions{})
	assert.Equal(t, abi.KindReactor, fixed.Kind())
	out, err := call(t, fixed)
	require.NoError(t, err)
	assert.Equal(t, `{"foo":123}`, out)

	echo := load(t, e, "echo_input", runtime.ModuleOptions{})
	out, err = call(t, echo)
	require.NoError(t, err)
	assert.Equal(t, input, out, "the guest sees the input byte for byte")
	big := `{"data":"` + strings.Repeat("x", 200_000) + `"}`
	bigEcho, err := e.Load(context.Background(), "echo_big", "echo_input.wasm", wat(t, "echo_input"),
		runtime.ModuleOptions{Limits: runtime.Limits{OutputBytes: 1 << 20}})
	require.NoError(t, err)
	got, err := bigEcho.Call(context.Background(), []byte(big), nil)
	require.NoError(t, err, "the guest grows its memory for a large input")
	assert.Equal(t, big, string(got))

	cfg := load(t, e, "echo_config", runtime.ModuleOptions{})
	out, err = call(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, `{}`, out, "no configuration reads as {}")
	cfg2, err := e.Load(context.Background(), "echo_config2", "echo_config.wasm", wat(t, "echo_config"),
		runtime.ModuleOptions{Config: []byte(`{"namespace":"geo"}`)})
	require.NoError(t, err)
	out, err = call(t, cfg2)
	require.NoError(t, err)
	assert.Equal(t, `{"namespace":"geo"}`, out)

	none := load(t, e, "no_output", runtime.ModuleOptions{})
	out, err = call(t, none)
	require.NoError(t, err)
	assert.Empty(t, out)
}

func TestOutputAppendsToCallerBuffer(t *testing.T) {
	e := newEngine(t, runtime.Limits{}, nil)
	m := load(t, e, "fixed", runtime.ModuleOptions{})
	buf := make([]byte, 0, 64)
	out, err := m.Call(context.Background(), []byte(input), buf)
	require.NoError(t, err)
	assert.Equal(t, `{"foo":123}`, string(out))
	assert.Same(t, &buf[:1][0], &out[:1][0], "the output is copied once, into the caller's buffer")
}

func TestInstancesAreReusedAndInitialized(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	m := load(t, e, "calls", runtime.ModuleOptions{})
	for i := 1; i <= 12; i++ {
		out, err := call(t, m)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf(`{"calls":%d}`, i), out)
	}
	st := m.Stats()
	assert.EqualValues(t, 1, st.Created, "one instance served every call")
	assert.EqualValues(t, 12, st.Calls)

	init := load(t, e, "initialized", runtime.ModuleOptions{})
	out, err := call(t, init)
	require.NoError(t, err)
	assert.Equal(t, `{"init":true}`, out, "_initialize ran before the first event")
}

func TestGuestLogsReachTheLogger(t *testing.T) {
	var logs syncBuffer
	e := newEngine(t, runtime.Limits{}, &logs)
	m := load(t, e, "logger", runtime.ModuleOptions{})
	out, err := call(t, m)
	require.NoError(t, err)
	assert.Equal(t, `{"logged":true}`, out)
	assert.Contains(t, logs.String(), `level=INFO msg="hello from wat" callback=logger`)
	assert.Contains(t, logs.String(), `level=WARN msg=careful callback=logger`)
}

func TestLogLimitDropsTheRest(t *testing.T) {
	var logs syncBuffer
	e := newEngine(t, runtime.Limits{LogBytes: 20, Timeout: 50 * time.Millisecond}, &logs)
	m := load(t, e, "host_loop", runtime.ModuleOptions{})
	_, err := call(t, m)
	require.ErrorIs(t, err, abi.ErrTimeout, "a guest logging forever is stopped by the timeout")
	assert.LessOrEqual(t, strings.Count(logs.String(), "level=INFO"), 20, "lines past the log limit are dropped")
	assert.Contains(t, logs.String(), "log limit reached")
}

func TestFailuresAreTyped(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 100 * time.Millisecond, MemoryBytes: 2 << 20, OutputBytes: 64 << 10}, nil)
	cases := []struct {
		module string
		kind   error
		detail string
	}{
		{"loop", abi.ErrTimeout, "ran past its 100ms limit"},
		{"trap", abi.ErrTrap, "unreachable"},
		{"div_zero", abi.ErrTrap, "integer divide by zero"},
		{"guest_error", abi.ErrGuest, "boom: bad data"},
		{"status_only", abi.ErrGuest, "status 7"},
		{"big_output", abi.ErrOutputTooLarge, "131072 bytes; the limit is 65536"},
		{"huge_len", abi.ErrOutputTooLarge, "4294967295 bytes"},
		{"oob_output", abi.ErrTrap, "output_set: range [65000, 66000) is outside"},
		{"memory_hog", abi.ErrMemoryLimit, "2097152-byte memory limit"},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			m := load(t, e, c.module, runtime.ModuleOptions{})
			_, err := call(t, m)
			require.ErrorIs(t, err, c.kind)
			var ce *abi.CallError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.module, ce.Callback)
			assert.Contains(t, err.Error(), c.detail)
		})
	}
}

func TestTimeoutMatchesDeadlineExceededAndShowsStack(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 30 * time.Millisecond}, nil)
	m := load(t, e, "loop", runtime.ModuleOptions{})
	_, err := call(t, m)
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	trap := load(t, e, "trap", runtime.ModuleOptions{})
	_, err = call(t, trap)
	assert.Contains(t, err.Error(), "wasm stack trace", "a trap carries the guest's stack")
}

func TestBrokenInstancesAreThrownAway(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 50 * time.Millisecond, PoolSize: 1}, nil)
	for _, name := range []string{"loop", "trap", "big_output"} {
		m := load(t, e, name, runtime.ModuleOptions{})
		for i := 0; i < 3; i++ {
			_, err := call(t, m)
			require.Error(t, err)
		}
		st := m.Stats()
		assert.EqualValues(t, 3, st.Discarded, name)
		assert.EqualValues(t, 3, st.Created, name)
		assert.Zero(t, st.Idle, name)
	}
}

func TestPerModuleLimitsOverrideTheEngine(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 10 * time.Second}, nil)
	m := load(t, e, "loop", runtime.ModuleOptions{Limits: runtime.Limits{Timeout: 20 * time.Millisecond}})
	assert.Equal(t, 20*time.Millisecond, m.Limits().Timeout)
	assert.Equal(t, runtime.DefaultLimits().OutputBytes, m.Limits().OutputBytes)
	_, err := call(t, m)
	assert.ErrorIs(t, err, abi.ErrTimeout)
}

func TestCallerDeadlineStopsTheGuest(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 10 * time.Second}, nil)
	m := load(t, e, "loop", runtime.ModuleOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := m.Call(ctx, []byte(input), nil)
	assert.ErrorIs(t, err, abi.ErrTimeout)
}

func TestCommands(t *testing.T) {
	var logs syncBuffer
	e := newEngine(t, runtime.Limits{}, &logs)

	fixed := load(t, e, "command_fixed", runtime.ModuleOptions{})
	assert.Equal(t, abi.KindCommand, fixed.Kind())
	out, err := call(t, fixed)
	require.NoError(t, err)
	assert.Equal(t, `{"command":"ok"}`, strings.TrimSpace(out))
	assert.Contains(t, logs.String(), "note from command", "stderr goes to the log")

	echo := load(t, e, "command_echo", runtime.ModuleOptions{})
	out, err = call(t, echo)
	require.NoError(t, err)
	assert.Equal(t, input, out, "the input arrives on stdin")

	exit := load(t, e, "command_exit", runtime.ModuleOptions{})
	_, err = call(t, exit)
	require.ErrorIs(t, err, abi.ErrGuest)
	assert.ErrorContains(t, err, "exit code 3: fatal: bad input")

	cfg := load(t, e, "command_config", runtime.ModuleOptions{Config: []byte(`{"a":1}`)})
	out, err = call(t, cfg)
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, out)

	st := echo.Stats()
	assert.EqualValues(t, 1, st.Created)
	assert.Zero(t, st.Idle, "command instances are not kept")
}

func TestCommandOutputLimit(t *testing.T) {
	e := newEngine(t, runtime.Limits{OutputBytes: 16}, nil)
	echo := load(t, e, "command_echo", runtime.ModuleOptions{})
	_, err := call(t, echo)
	assert.ErrorIs(t, err, abi.ErrOutputTooLarge)
}

func TestLoadErrorsNameTheFileAndSymbol(t *testing.T) {
	e := newEngine(t, runtime.Limits{}, nil)
	cases := []struct {
		module, symbol string
		kind           error
		reason         string
	}{
		{"no_marker", "wasmhook_abi_v1", abi.ErrABIMismatch, "declares no wasmhook ABI version"},
		{"v2_marker", "wasmhook_abi_v2", abi.ErrABIMismatch, "speaks ABI v2; this host speaks v1"},
		{"bad_import", "env.abort", abi.ErrBadModule, `only wasmhook_v1 and wasi_snapshot_preview1`},
		{"unknown_host_func", "wasmhook_v1.http_get", abi.ErrBadModule, `has no function "http_get"`},
		{"bad_signature", "wasmhook_on_event", abi.ErrBadModule, "has type (i32, i32) -> (i32); ABI v1 requires (i32) -> (i32)"},
		{"no_entry", "wasmhook_on_event", abi.ErrBadModule, "exports neither"},
		{"command_input_read", "wasmhook_v1.input_read", abi.ErrBadModule, "is for reactors"},
		{"no_memory", "memory", abi.ErrBadModule, "exports no memory"},
		{"wrong_import_sig", "wasmhook_v1.output_set", abi.ErrBadModule, "ABI v1 requires (i32, i32) -> ()"},
		{"start_trap", "", abi.ErrBadModule, "instantiation failed"},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			_, err := e.Load(context.Background(), c.module, watFile(c.module), wat(t, c.module), runtime.ModuleOptions{})
			require.ErrorIs(t, err, c.kind)
			var le *abi.LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, c.symbol, le.Symbol)
			assert.Contains(t, err.Error(), watFile(c.module))
			assert.Contains(t, err.Error(), c.reason)
		})
	}

	_, err := e.Load(context.Background(), "text", "text.wasm", []byte("hello"), runtime.ModuleOptions{})
	assert.ErrorIs(t, err, abi.ErrBadModule)
	assert.ErrorContains(t, err, "text.wasm: bad module: not a WebAssembly module")
	_, err = e.Load(context.Background(), "empty", "empty.wasm", nil, runtime.ModuleOptions{})
	assert.ErrorContains(t, err, "empty file")
	fixed := wat(t, "fixed")
	_, err = e.Load(context.Background(), "cut", "cut.wasm", fixed[:len(fixed)-5], runtime.ModuleOptions{})
	assert.ErrorIs(t, err, abi.ErrBadModule)
	assert.ErrorContains(t, err, "cut.wasm: bad module: invalid module")

	small := newEngine(t, runtime.Limits{MemoryBytes: 64 << 10}, nil)
	_, err = small.Load(context.Background(), "big_output", "big_output.wasm", wat(t, "big_output"), runtime.ModuleOptions{})
	assert.ErrorContains(t, err, "needs 196608 bytes of memory at start; its memory limit is 65536")
}

func TestPoolIsBoundedUnderConcurrency(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 2}, nil)
	m := load(t, e, "echo_input", runtime.ModuleOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				in := fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)
				out, err := m.Call(context.Background(), []byte(in), nil)
				if err != nil || string(out) != in {
					errs <- fmt.Errorf("call %d/%d: %q, %v", g, i, out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := m.Stats()
	assert.LessOrEqual(t, st.Created, int64(2))
	assert.EqualValues(t, 16*200, st.Calls)
}

func TestClosedModuleRefusesCalls(t *testing.T) {
	e := newEngine(t, runtime.Limits{}, nil)
	m := load(t, e, "fixed", runtime.ModuleOptions{})
	require.NoError(t, m.Close(context.Background()))
	_, err := call(t, m)
	assert.True(t, errors.Is(err, runtime.ErrClosed))
}

// TestPoolWaitersAndClose: with every instance in use, a call waits for
// one within its context; a call that runs out of time waiting says so;
// a finishing call hands its slot to the next waiter; Close waits for the
// calls in flight, and no call starts after it.
func TestPoolWaitersAndClose(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 300 * time.Millisecond, PoolSize: 1}, nil)
	m := load(t, e, "loop", runtime.ModuleOptions{})
	bg := context.Background()
	callAsync := func() chan error {
		done := make(chan error, 1)
		go func() {
			_, err := m.Call(bg, []byte(input), nil)
			done <- err
		}()
		return done
	}
	first := callAsync()
	require.Eventually(t, func() bool { return m.Stats().Calls == 1 }, 5*time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	_, err := m.Call(ctx, []byte(input), nil)
	cancel()
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.ErrorContains(t, err, "waiting for a free instance")

	second := callAsync()
	require.Eventually(t, func() bool { return m.Stats().Calls == 3 }, 5*time.Second, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- m.Close(bg) }()

	err = <-first
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.NotContains(t, err.Error(), "waiting", "the first call ran and hit its time limit")
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	default:
	}
	err = <-second
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.NotContains(t, err.Error(), "waiting", "the waiter got the slot and ran")
	require.NoError(t, <-closed)
	_, err = m.Call(bg, []byte(input), nil)
	assert.ErrorIs(t, err, runtime.ErrClosed)
	assert.EqualValues(t, 3, m.Stats().Calls)
}

// TestCallerContextEndedBeforeTheCall: a call whose caller's context has
// ended before the guest runs is a timeout naming the caller, never a
// trap, and costs no instance: the idle one stays good, and none is made.
func TestCallerContextEndedBeforeTheCall(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1, StartTimeout: 10 * time.Second}, nil)
	m := load(t, e, "fixed", runtime.ModuleOptions{})
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	for _, ctx := range []context.Context{expired, canceled} {
		before := m.Stats()
		_, err := m.Call(ctx, []byte(input), nil)
		require.ErrorIs(t, err, abi.ErrTimeout)
		assert.ErrorIs(t, err, ctx.Err())
		assert.ErrorContains(t, err, "the caller's context ended")
		assert.NotContains(t, err.Error(), "10s", "the start limit is not the cause")
		after := m.Stats()
		assert.Equal(t, before.Created, after.Created, "no instance made")
		assert.Equal(t, before.Discarded, after.Discarded, "the idle instance is kept")
		assert.Equal(t, 1, after.Idle)
	}
	out, err := call(t, m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"foo":123}`, out)

	// With no idle instance (a trap threw it away), none is made for a
	// caller whose context has ended.
	trap := load(t, e, "trap", runtime.ModuleOptions{})
	_, err = call(t, trap)
	require.ErrorIs(t, err, abi.ErrTrap)
	before := trap.Stats()
	_, err = trap.Call(expired, []byte(input), nil)
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, before.Created, trap.Stats().Created)
}

// TestCallerDeadlineNamedWhenItStopsTheGuest: a guest stopped by the
// caller's deadline, sooner than its own limit, is told so.
func TestCallerDeadlineNamedWhenItStopsTheGuest(t *testing.T) {
	e := newEngine(t, runtime.Limits{Timeout: 10 * time.Second}, nil)
	m := load(t, e, "loop", runtime.ModuleOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := m.Call(ctx, []byte(input), nil)
	require.ErrorIs(t, err, abi.ErrTimeout)
	assert.ErrorContains(t, err, "the caller's deadline")
}

// TestInstanceGrownByALargeEventIsRetired: memory never shrinks, so an
// instance that grew far past its module's usual size for one large event
// is closed instead of pooled; the next call gets a fresh instance, and
// small events never retire one.
func TestInstanceGrownByALargeEventIsRetired(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	m := load(t, e, "grow_with_input", runtime.ModuleOptions{})
	small := []byte(input)
	for i := 0; i < 20; i++ {
		out, err := m.Call(context.Background(), small, nil)
		require.NoError(t, err)
		require.JSONEq(t, `{"read": true}`, string(out))
	}
	before := m.Stats()
	assert.Zero(t, before.Retired, "small events retire nothing")
	big := []byte(`{"data":"` + strings.Repeat("x", 4<<20) + `"}`)
	_, err := m.Call(context.Background(), big, nil)
	require.NoError(t, err)
	after := m.Stats()
	assert.EqualValues(t, 1, after.Retired-before.Retired, "the instance grown to 4 MiB is retired")
	assert.Zero(t, after.Idle, "and not pooled")
	out, err := m.Call(context.Background(), small, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"read": true}`, string(out))
	assert.EqualValues(t, after.Created+1, m.Stats().Created, "a fresh instance serves the next event")
	assert.Equal(t, 1, m.Stats().Idle)
}

// TestBadOutputThrowsTheInstanceAway: an output that is not JSON, not
// UTF-8 or not an object fails the call, and the instance that produced
// it is thrown away like any failed one (abi/SPEC.md section 2): a guest
// that wrote garbage may be in a bad state. not_json_once would output
// good JSON from a reused instance.
func TestBadOutputThrowsTheInstanceAway(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1, OutputBytes: 256 << 10}, nil)
	cases := map[string]error{
		"not_json":          abi.ErrOutputNotJSON,
		"not_json_once":     abi.ErrOutputNotJSON,
		"deep_json":         abi.ErrOutputNotJSON,
		"not_utf8":          abi.ErrOutputNotUTF8,
		"not_object":        abi.ErrOutputNotObject,
		"not_object_string": abi.ErrOutputNotObject,
		"not_object_number": abi.ErrOutputNotObject,
		"not_object_true":   abi.ErrOutputNotObject,
		"command_not_json":  abi.ErrOutputNotJSON,
	}
	for name, kind := range cases {
		t.Run(name, func(t *testing.T) {
			m := load(t, e, name, runtime.ModuleOptions{})
			defer m.Close(context.Background())
			for i := range 3 {
				out, err := call(t, m)
				require.ErrorIs(t, err, kind, "call %d", i)
				var ce *abi.CallError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, name, ce.Callback)
				assert.NotEmpty(t, out, "the raw output comes back beside the error")
			}
			st := m.Stats()
			assert.EqualValues(t, 3, st.Created, "a fresh instance per call")
			assert.EqualValues(t, 3, st.Discarded)
			assert.Zero(t, st.Idle)
		})
	}
}
