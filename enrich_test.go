package wasmhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// goReactor is testdata/go/reactor built for wasip1 by TestMain.
var goReactor string

// goSiteStatus is examples/go/site_status (the Go SDK's example), built
// for wasip1 by TestMain; goSiteStatusScan is its scanner variant.
var goSiteStatus, goSiteStatusScan string

// compilationCache is shared by the tests' enrichers; TestMain fills it
// with the Go guests, which take tens of seconds to compile under -race.
var compilationCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhook-test")
	if err != nil {
		panic(err)
	}
	goReactor = filepath.Join(dir, "reactor.wasm")
	goSiteStatus = filepath.Join(dir, "site_status.wasm")
	goSiteStatusScan = filepath.Join(dir, "site_status_scan.wasm")
	compilationCache = filepath.Join(dir, "cache")
	for _, b := range []struct{ dir, out string }{
		{"testdata/go/reactor", goReactor},
		{"examples/go/site_status", goSiteStatus},
		{"examples/go/site_status_scan", goSiteStatusScan},
	} {
		if err := testmod.BuildGo(b.dir, b.out, true); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	// Compiled here without -race, for the memory limits the tests load
	// the Go guests with: the default and hostileLimits'.
	if err := testmod.Precompile(compilationCache, []uint64{0, uint64(hostileLimits.MemoryBytes)}, goReactor, goSiteStatus, goSiteStatusScan); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// modulesDir makes a directory of modules: dst name → test module name,
// or "go" for the Go reactor.
func modulesDir(t testing.TB, mods map[string]string) string {
	t.Helper()
	resolved := make(map[string]string, len(mods))
	for dst, src := range mods {
		if src == "go" {
			src = goReactor
		}
		resolved[dst] = src
	}
	return testmod.Dir(t, resolved)
}

func TestEnrichWithModulesOfEveryKind(t *testing.T) {
	dir := modulesDir(t, map[string]string{
		"10-fixed":   "fixed",
		"20-go":      "go",
		"30-command": "command_fixed",
		"40-branch":  "active_branch",
	})
	e := newEnricher(t, wasmhook.Options{
		Dir:     dir,
		Modules: map[string]wasmhook.ModuleSettings{"20-go": {Config: []byte(`{"namespace": "geo"}`)}},
	})
	assert.Equal(t, []wasmhook.CallbackInfo{
		{Name: "10-fixed", Kind: "reactor", File: filepath.Join(dir, "10-fixed.wasm")},
		{Name: "20-go", Kind: "reactor", File: filepath.Join(dir, "20-go.wasm")},
		{Name: "30-command", Kind: "command", File: filepath.Join(dir, "30-command.wasm")},
		{Name: "40-branch", Kind: "reactor", File: filepath.Join(dir, "40-branch.wasm")},
	}, e.Callbacks())

	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.Empty(t, res.Failed())
	assert.Equal(t, map[string]any{
		"foo":           123.0,
		"go_status":     "active",
		"go_name_len":   10.0, // "Zürich <1>": ten characters, one of them non-ASCII
		"go_config":     map[string]any{"namespace": "geo"},
		"command":       "ok",
		"active_branch": nil,
	}, testmod.ContextOf(t, res.Payload))
	assert.Equal(t, []string{"foo", "go_config", "go_name_len", "go_status", "command", "active_branch"},
		keysOf(t, bytes.TrimSuffix(res.Payload[bytes.Index(res.Payload, []byte(`"context": `))+11:], []byte("}"))),
		"context keys come in load order")
	for _, rep := range res.Reports {
		assert.Positive(t, rep.Duration, rep.Callback)
	}
}

func TestRunawayModuleIsStoppedOthersSurvive(t *testing.T) {
	dir := modulesDir(t, map[string]string{
		"10-fixed":  "fixed",
		"20-loop":   "loop",
		"30-branch": "active_branch",
		"40-trap":   "trap",
		"50-go":     "go",
	})
	e := newEnricher(t, wasmhook.Options{Dir: dir, Limits: wasmhook.Limits{Timeout: 50 * time.Millisecond}})
	for i := 0; i < 3; i++ {
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		ctx := testmod.ContextOf(t, res.Payload)
		assert.Equal(t, 123.0, ctx["foo"])
		assert.Contains(t, ctx, "active_branch")
		assert.Equal(t, "active", ctx["go_status"])
		assert.ErrorIs(t, res.Reports[1].Err, wasmhook.ErrTimeout)
		assert.ErrorIs(t, res.Reports[3].Err, wasmhook.ErrTrap)
		assert.Len(t, res.Failed(), 2)
	}
}

// TestReturningAfterTheLimitIsATimeout: a guest that returns after its
// time limit has passed is timed out, even when it returned before the
// timer that stops guests fired. Echoing a 256 KiB event takes far longer
// than the 20 µs limit (the copies and the output's check), and the guest
// itself runs for a time close to the timer's latency, so that without the
// check after the call many of these calls passed.
func TestReturningAfterTheLimitIsATimeout(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-echo": "echo_input", "20-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, Modules: map[string]wasmhook.ModuleSettings{
		"10-echo": {Limits: wasmhook.Limits{Timeout: 20 * time.Microsecond, OutputBytes: 1 << 20}},
	}})
	ev := siteEvent
	ev.Data = json.RawMessage(`{"blob": "` + strings.Repeat("x", 256<<10) + `"}`)
	for i := 0; i < 100; i++ {
		res, err := e.Enrich(context.Background(), &ev)
		require.NoError(t, err)
		require.ErrorIs(t, res.Reports[0].Err, wasmhook.ErrTimeout, "event %d", i)
		require.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, res.Payload), "event %d", i)
	}
}

func TestGoGuestPanicIsContained(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-go": "go", "20-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	ev := siteEvent
	ev.Data = json.RawMessage(`{"name": "x", "panic": true}`)
	res, err := e.Enrich(context.Background(), &ev)
	require.NoError(t, err)
	require.Error(t, res.Reports[0].Err)
	assert.Contains(t, res.Reports[0].Err.Error(), "asked to panic")
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, res.Payload))

	// The next event through the same module works: a fresh instance.
	res, err = e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	assert.Empty(t, res.Failed())
	assert.Equal(t, "active", testmod.ContextOf(t, res.Payload)["go_status"])
}

func TestCallbacksNeverSeeCredentials(t *testing.T) {
	dir := modulesDir(t, map[string]string{"echo": "echo_input"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, SensitiveHeaders: []string{"x-api-key"}})
	ev := siteEvent
	ev.Request = &wasmhook.Request{
		ID: uuid.New(), Method: "PATCH", Path: "/api/dcim/sites/4/", User: "jstretch",
		Header: http.Header{
			"Authorization":       {"Token secret"},
			"Cookie":              {"sessionid=secret"},
			"Proxy-Authorization": {"Basic secret"},
			"X-Api-Key":           {"secret"},
			"User-Agent":          {"netbox/4.6"},
			"Accept":              {"application/json", "text/html"},
		},
	}
	res, err := e.Enrich(context.Background(), &ev)
	require.NoError(t, err)
	assert.NotContains(t, string(res.Payload), "secret")
	req := testmod.ContextOf(t, res.Payload)["request"].(map[string]any)
	assert.Equal(t, map[string]any{"accept": "application/json, text/html", "user-agent": "netbox/4.6"}, req["headers"])
	assert.Equal(t, "jstretch", req["user"])
}

// TestConcurrentEnrich runs many goroutines through one enricher; every
// payload must equal the one a single goroutine gets.
func TestConcurrentEnrich(t *testing.T) {
	dir := modulesDir(t, map[string]string{
		"10-fixed": "fixed", "20-go": "go", "30-calls": "echo_config", "40-command": "command_fixed", "50-branch": "active_branch",
	})
	for _, parallelism := range []int{1, 4} {
		t.Run(fmt.Sprint("parallelism=", parallelism), func(t *testing.T) {
			e := newEnricher(t, wasmhook.Options{Dir: dir, Parallelism: parallelism, Limits: wasmhook.Limits{PoolSize: 3}})
			want, err := e.Enrich(context.Background(), &siteEvent)
			require.NoError(t, err)
			require.Empty(t, want.Failed())

			const goroutines, events = 12, 40
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < events; i++ {
						res, err := e.Enrich(context.Background(), &siteEvent)
						if err != nil {
							errs <- err
							return
						}
						if len(res.Failed()) > 0 || !bytes.Equal(res.Payload, want.Payload) {
							errs <- fmt.Errorf("goroutine %d event %d: %s %v", g, i, res.Payload, res.Failed())
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
		})
	}
}

func TestNewFailsOnABadModuleNamingIt(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed", "20-v2": "v2_marker"})
	_, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir})
	require.ErrorIs(t, err, wasmhook.ErrABIMismatch)
	assert.ErrorContains(t, err, filepath.Join(dir, "20-v2.wasm"))

	e := newEnricher(t, wasmhook.Options{Dir: dir, SkipInvalid: true})
	assert.Len(t, e.Callbacks(), 1)
	require.Len(t, e.Skipped(), 1)
	assert.ErrorIs(t, e.Skipped()[0], wasmhook.ErrABIMismatch)

	_, err = wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, Modules: map[string]wasmhook.ModuleSettings{"10-fixed": {Config: []byte(`[1]`)}}})
	assert.ErrorContains(t, err, `configuration of module "10-fixed" is not a JSON object`)
}

func TestCompilationCacheIsUsed(t *testing.T) {
	dir := modulesDir(t, map[string]string{"fixed": "fixed"})
	cache := t.TempDir()
	for i := 0; i < 2; i++ {
		e := newEnricher(t, wasmhook.Options{Dir: dir, CompilationCacheDir: cache})
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		assert.Empty(t, res.Failed())
	}
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "compiled code is kept on disk")
}

// TestOutputValidation runs modules whose outputs break each rule, beside a
// good one whose result must survive every time.
func TestOutputValidation(t *testing.T) {
	cases := []struct {
		module string
		kind   error // nil: ignored without error
	}{
		{"not_json", wasmhook.ErrOutputNotJSON},
		{"not_object", wasmhook.ErrOutputNotObject},
		{"not_utf8", wasmhook.ErrOutputNotUTF8},
		{"deep_json", wasmhook.ErrOutputNotJSON},
		{"falsy_array", nil},
		{"null_output", nil},
		{"no_output", nil},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			dir := modulesDir(t, map[string]string{"10-bad": c.module, "20-fixed": "fixed"})
			e := newEnricher(t, wasmhook.Options{Dir: dir, Limits: wasmhook.Limits{OutputBytes: 256 << 10}})
			res, err := e.Enrich(context.Background(), &siteEvent)
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, res.Payload))
			if c.kind == nil {
				assert.NoError(t, res.Reports[0].Err)
				return
			}
			assert.ErrorIs(t, res.Reports[0].Err, c.kind)
			assert.NoError(t, res.Reports[1].Err)
			assert.Positive(t, res.Reports[0].OutputBytes, "the report gives the rejected output's size")
		})
	}
}

// TestNativeOutputValidation: a native callback's output is checked by the
// enricher (a module's is checked by the runtime, before its instance goes
// back to the pool).
func TestNativeOutputValidation(t *testing.T) {
	cases := map[string]error{
		`{"a":`:    wasmhook.ErrOutputNotJSON,
		"\"\xff\"": wasmhook.ErrOutputNotUTF8,
		`"abc"`:    wasmhook.ErrOutputNotObject,
		`  `:       nil,
		`[]`:       nil,
	}
	for out, kind := range cases {
		e := newEnricher(t, wasmhook.Options{})
		require.NoError(t, e.Register("native", returns(json.RawMessage(out))))
		require.NoError(t, e.Register("good", returns(map[string]int{"good": 1})))
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"good": 1.0}, testmod.ContextOf(t, res.Payload), "%q", out)
		if kind == nil {
			assert.NoError(t, res.Reports[0].Err, "%q", out)
		} else {
			assert.ErrorIs(t, res.Reports[0].Err, kind, "%q", out)
		}
	}
}

// TestNativeCallbacksSeeCredentialsOnlyWhenAskedTo: native callbacks get
// the request modules get, without credentials or sensitive headers,
// unless the enricher is told to hand them the request as given.
func TestNativeCallbacksSeeCredentialsOnlyWhenAskedTo(t *testing.T) {
	header := http.Header{
		"Authorization":       {"Token secret"},
		"cookie":              {"sessionid=secret"},
		"Proxy-Authorization": {"Basic secret"},
		"X-Api-Key":           {"secret"},
		"User-Agent":          {"netbox/4.6"},
	}
	ev := siteEvent
	ev.Request = &wasmhook.Request{ID: uuid.New(), Method: "PATCH", Path: "/api/dcim/sites/4/", User: "jstretch", Header: header}
	for _, native := range []bool{false, true} {
		t.Run(fmt.Sprint("NativeCredentials=", native), func(t *testing.T) {
			dir := modulesDir(t, map[string]string{"echo": "echo_input"})
			e := newEnricher(t, wasmhook.Options{Dir: dir, SensitiveHeaders: []string{"x-api-key"}, NativeCredentials: native})
			var seen wasmhook.Request
			require.NoError(t, e.Register("native", func(_ context.Context, in *wasmhook.Input) (any, error) {
				seen = *in.Request
				seen.Header = in.Request.Header.Clone()
				return nil, nil
			}))
			for range 2 { // the second event reuses the first's scratch space
				res, err := e.Enrich(context.Background(), &ev)
				require.NoError(t, err)
				require.Empty(t, res.Failed())
				assert.NotContains(t, string(res.Payload), "secret", "modules never see credentials")
			}
			assert.Equal(t, ev.Request.ID, seen.ID)
			assert.Equal(t, "jstretch", seen.User)
			if native {
				assert.Equal(t, header, seen.Header, "the request as given")
			} else {
				assert.Equal(t, http.Header{"User-Agent": {"netbox/4.6"}}, seen.Header)
			}
			assert.Len(t, ev.Request.Header, 5, "the caller's request is left as it is")
		})
	}
	// An event whose request holds nothing to drop is handed over as it is.
	e := newEnricher(t, wasmhook.Options{})
	plain := siteEvent
	plain.Request = &wasmhook.Request{ID: uuid.New(), Header: http.Header{"Accept": {"*/*"}}}
	var got *wasmhook.Request
	require.NoError(t, e.Register("native", func(_ context.Context, in *wasmhook.Input) (any, error) {
		got = in.Request
		return nil, nil
	}))
	_, err := e.Enrich(context.Background(), &plain)
	require.NoError(t, err)
	assert.Same(t, plain.Request, got)
}

// TestCostAveragesFollowTheRealCost: the cost averages that choose between
// running an event's callbacks one after another and on goroutines come
// down to what the callbacks cost, even after a slow first call (an average
// once left 2 µs above a cheap callback's cost: 25 such callbacks looked
// like 50 µs of work, and ran on goroutines, slower than one after
// another). Durations are compared with what the reports measured, so that
// the test holds under the race detector's slowdown too.
func TestCostAveragesFollowTheRealCost(t *testing.T) {
	mods := map[string]string{}
	settings := map[string]wasmhook.ModuleSettings{}
	for i := range 25 {
		name := fmt.Sprintf("cb%02d", i)
		mods[name] = "slow_first"
		settings[name] = wasmhook.ModuleSettings{Nest: wasmhook.NestByName}
	}
	e := newEnricher(t, wasmhook.Options{Dir: modulesDir(t, mods), Modules: settings, Parallelism: 1})
	ctx := context.Background()
	var res wasmhook.Result
	for range 100 { // the averages settle
		require.NoError(t, e.EnrichInto(ctx, &siteEvent, &res))
	}
	// A call preempted on a shared machine lifts its average for a while
	// (an eighth of the delay, decaying): the property is checked over a
	// few rounds of 100 events, and holds when one round shows it. The
	// fault it guards against shows in every round.
	var real, estimate time.Duration
	for round := range 5 {
		const events = 100
		measured := make([]time.Duration, 25)
		for range events {
			require.NoError(t, e.EnrichInto(ctx, &siteEvent, &res))
			for i, r := range res.Reports {
				measured[i] += r.Duration / events
			}
		}
		real, estimate = 0, 0
		for i, c := range wasmhook.CostEstimates(e) {
			estimate += c
			real += measured[i]
		}
		// Each average settles within a quarter (and 128 ns) of its cost.
		if estimate < real*3/2+25*200*time.Nanosecond {
			return
		}
		t.Logf("round %d: the averages add up to %s for callbacks that took %s", round, estimate, real)
	}
	t.Fatalf("the averages add up to %s for callbacks that took %s, in 5 rounds of 100 events", estimate, real)
}
