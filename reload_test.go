package wasmhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// withGeneration returns a module's bytes with a custom section naming
// gen: the same behaviour, other bytes (so a reload must compile it anew).
func withGeneration(bin []byte, gen int) []byte {
	payload := append([]byte{3, 'g', 'e', 'n'}, fmt.Sprint(gen)...)
	out := append([]byte{}, bin...)
	out = append(out, 0, byte(len(payload)))
	return append(out, payload...)
}

// writeAtomically writes a file the way the docs ask: a temporary name,
// then a rename over the old one.
func writeAtomically(t testing.TB, path string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	require.NoError(t, os.WriteFile(tmp, b, 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func callbackNames(e *wasmhook.Enricher) []string {
	var names []string
	for _, cb := range e.Callbacks() {
		names = append(names, cb.Name)
	}
	return names
}

func TestReloadAddChangeRemoveBreak(t *testing.T) {
	ctx := context.Background()
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir})
	require.NoError(t, e.Register("native", returns(map[string]int{"native": 1})))

	// Nothing changed: nothing compiled, the same callbacks.
	res, err := e.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Compiled)
	assert.Equal(t, 1, res.Reused)

	// Add.
	writeAtomically(t, filepath.Join(dir, "20-branch.wasm"), testmod.Read(t, "active_branch"))
	res, err = e.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"10-fixed", "20-branch", "native"}, callbackNames(e), "modules first, native callbacks after")
	assert.Equal(t, 1, res.Compiled)
	assert.Equal(t, 1, res.Reused)

	// Change: new bytes are compiled; the unchanged module is kept.
	writeAtomically(t, filepath.Join(dir, "10-fixed.wasm"), withGeneration(testmod.Read(t, "fixed"), 2))
	res, err = e.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Compiled)
	assert.Equal(t, 1, res.Reused)
	assert.Equal(t, 1, res.Removed, "the old 10-fixed")
	assert.Equal(t, 2, wasmhook.LoadedModules(e), "the replaced module is closed")

	// Break: the old set stays in force and the error names the file.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "30-broken.wasm"), []byte("not wasm"), 0o644))
	_, err = e.Reload(ctx)
	require.ErrorIs(t, err, wasmhook.ErrBadModule)
	assert.ErrorContains(t, err, "30-broken.wasm")
	out, err := e.Enrich(ctx, &siteEvent)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil, "native": 1.0}, testmod.ContextOf(t, out.Payload))

	// Remove.
	require.NoError(t, os.Remove(filepath.Join(dir, "30-broken.wasm")))
	require.NoError(t, os.Remove(filepath.Join(dir, "20-branch.wasm")))
	res, err = e.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Removed)
	assert.Equal(t, []string{"10-fixed", "native"}, callbackNames(e))
	assert.Equal(t, 1, wasmhook.LoadedModules(e))
}

func TestReloadSkipInvalid(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-fixed": "fixed"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, SkipInvalid: true})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "20-broken.wasm"), nil, 0o644))
	writeAtomically(t, filepath.Join(dir, "30-branch.wasm"), testmod.Read(t, "active_branch"))
	res, err := e.Reload(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"10-fixed", "30-branch"}, callbackNames(e))
	require.Len(t, res.Skipped, 1)
	assert.ErrorContains(t, res.Skipped[0], "20-broken.wasm: bad module: empty file")
	assert.Len(t, e.Skipped(), 1)
}

// TestReloadUnderLoad swaps generations of modules and settings while 4
// goroutines enrich without pause: no Enrich fails, no callback fails
// because of a swap, and every payload comes from exactly one generation.
func TestReloadUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	echo := testmod.Read(t, "echo_config")
	writeGeneration := func(gen int) {
		settings := fmt.Sprintf(`{"modules": {"a": {"config": {"a": %d}}, "b": {"config": {"b": %d}}%s}}`, gen, gen,
			map[bool]string{true: `, "c": {"config": {"c": ` + fmt.Sprint(gen) + `}}`, false: ""}[gen%3 != 0])
		writeAtomically(t, filepath.Join(dir, "a.wasm"), withGeneration(echo, gen))
		writeAtomically(t, filepath.Join(dir, "b.wasm"), withGeneration(echo, gen))
		if gen%3 != 0 {
			writeAtomically(t, filepath.Join(dir, "c.wasm"), withGeneration(echo, gen))
		} else {
			os.Remove(filepath.Join(dir, "c.wasm"))
		}
		writeAtomically(t, filepath.Join(dir, "wasmhook.json"), []byte(settings))
	}
	writeGeneration(1)
	e := newEnricher(t, wasmhook.Options{Dir: dir})

	load := enrichUnderLoad(t, e, func(res *wasmhook.Result) error {
		var p struct{ Context map[string]int }
		if err := json.Unmarshal(res.Payload, &p); err != nil {
			return err
		}
		a, b := p.Context["a"], p.Context["b"]
		c, hasC := p.Context["c"]
		if a == 0 || a != b || (hasC && c != a) || hasC != (a%3 != 0) {
			return fmt.Errorf("payload mixes generations: %v", p.Context)
		}
		return nil
	})
	for gen := 2; gen <= 30; gen++ {
		writeGeneration(gen)
		_, err := e.Reload(ctx)
		require.NoError(t, err)
		if gen%7 == 0 { // a broken module: the reload fails, the old set serves on
			require.NoError(t, os.WriteFile(filepath.Join(dir, "z.wasm"), []byte("broken"), 0o644))
			_, err := e.Reload(ctx)
			require.ErrorIs(t, err, wasmhook.ErrBadModule)
			require.NoError(t, os.Remove(filepath.Join(dir, "z.wasm")))
		}
		time.Sleep(2 * time.Millisecond) // let some events through each generation
	}
	events := load.stop()
	assert.Positive(t, events)
	assert.Equal(t, 2, wasmhook.LoadedModules(e), "generation 30 has a and b; every replaced module is closed")
	t.Logf("%d events across 29 reloads", events)
}

// startSlowEvent enriches siteEvent on its own goroutine and returns once
// the event is inside the enricher's first callback (a sleep_config
// module): the event then holds the callback set of this moment.
func startSlowEvent(t *testing.T, e *wasmhook.Enricher) <-chan *wasmhook.Result {
	t.Helper()
	done := make(chan *wasmhook.Result, 1)
	go func() {
		res, err := e.Enrich(context.Background(), &siteEvent)
		if err != nil {
			t.Errorf("Enrich: %v", err)
		}
		done <- res
	}()
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats()[0].Calls == 0 {
		require.True(t, time.Now().Before(deadline), "the event never reached the slow module")
		time.Sleep(time.Millisecond)
	}
	return done
}

// requireInFlight fails the test (rather than letting it pass for the
// wrong reason) when the slow event ended before the test's reloads did.
func requireInFlight(t *testing.T, done <-chan *wasmhook.Result) {
	t.Helper()
	select {
	case res := <-done:
		t.Fatalf("the slow event ended before the reloads did (machine too loaded?): %v", res)
	default:
	}
}

// TestReloadKeepsModulesOfOlderGenerationsInFlight is the scenario of a
// module closed under an event: an event starts on {10-slow, 20-b, 30-c};
// 30-c is rewritten (a second generation, which shares 20-b) and then
// 20-b deleted (a third). The second generation drains at once, but the
// event still runs on the first, which holds 20-b: 20-b must stay open
// until that event is done.
func TestReloadKeepsModulesOfOlderGenerationsInFlight(t *testing.T) {
	ctx := context.Background()
	dir := modulesDir(t, map[string]string{"10-slow": "sleep_config", "20-b": "fixed", "30-c": "active_branch"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, Parallelism: 1, Modules: map[string]wasmhook.ModuleSettings{
		"10-slow": {Config: []byte(`{"slow":500}`), OnFailure: wasmhook.FailEvent},
	}})
	done := startSlowEvent(t, e)

	writeAtomically(t, filepath.Join(dir, "30-c.wasm"), withGeneration(testmod.Read(t, "active_branch"), 2))
	_, err := e.Reload(ctx)
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "20-b.wasm")))
	res, err := e.Reload(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Removed)
	requireInFlight(t, done)
	assert.Equal(t, 4, wasmhook.LoadedModules(e), "10-slow, 20-b and both 30-c stay open while the event runs")

	out := <-done
	require.NotNil(t, out)
	assert.Empty(t, out.Failed())
	assert.Equal(t, map[string]any{"slow": 500.0, "foo": 123.0, "active_branch": nil}, testmod.ContextOf(t, out.Payload))
	assert.Equal(t, 2, wasmhook.LoadedModules(e), "once the event is done, 20-b and the first 30-c are closed")
}

// TestCloseWaitsForOlderGenerations: Close waits for events on every
// generation, not only the current one, before it closes the modules. The
// event runs on {10-slow, 20-b}; 10-slow is rewritten, so the current
// generation shares only 20-b with it, and no call of the current one
// is in flight.
func TestCloseWaitsForOlderGenerations(t *testing.T) {
	ctx := context.Background()
	dir := modulesDir(t, map[string]string{"10-slow": "sleep_config", "20-b": "fixed"})
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: dir, Parallelism: 1, Logger: testmod.Logger(io.Discard),
		CompilationCacheDir: compilationCache, Limits: wasmhook.Limits{Timeout: 10 * time.Second},
		Modules: map[string]wasmhook.ModuleSettings{"10-slow": {Config: []byte(`{"slow":300}`)}}})
	require.NoError(t, err)
	done := startSlowEvent(t, e)

	writeAtomically(t, filepath.Join(dir, "10-slow.wasm"), withGeneration(testmod.Read(t, "sleep_config"), 2))
	_, err = e.Reload(ctx)
	require.NoError(t, err)
	requireInFlight(t, done)
	require.NoError(t, e.Close(ctx))

	out := <-done
	require.NotNil(t, out)
	assert.Empty(t, out.Failed(), "the event on the first generation finished before Close closed its modules")
	assert.Equal(t, map[string]any{"slow": 300.0, "foo": 123.0}, testmod.ContextOf(t, out.Payload))
	assert.Zero(t, wasmhook.LoadedModules(e))
}

// TestReloadChurnLosesNoResult reloads as fast as it can while events,
// each slower than several reloads, run on 4 goroutines: modules are
// rewritten, kept, deleted and brought back, so events keep running on
// generations older than ones that have drained. Every event must get
// every callback's result, from one generation.
func TestReloadChurnLosesNoResult(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixed, branch, echo := testmod.Read(t, "fixed"), testmod.Read(t, "active_branch"), testmod.Read(t, "echo_config")
	// Generation g: 10-slow always (the same bytes: kept), 20-b while
	// g%3 != 0 (the same bytes while there: kept, then deleted), 30-c
	// rewritten every time, 40-d while (g/2)%2 == 0 (kept for two
	// generations, deleted for two, then compiled anew), 50-gen rewritten
	// every time and saying g. An event (30 ms in 10-slow) outlives
	// a few reloads, and a generation often drains before an older one.
	writeGeneration := func(gen int) {
		present := func(name string, b []byte, ok bool) {
			if ok {
				writeAtomically(t, filepath.Join(dir, name+".wasm"), b)
			} else {
				require.NoError(t, os.RemoveAll(filepath.Join(dir, name+".wasm")))
			}
		}
		present("20-b", fixed, gen%3 != 0)
		present("30-c", withGeneration(echo, gen), true)
		present("40-d", withGeneration(branch, gen/2), (gen/2)%2 == 0)
		present("50-gen", withGeneration(echo, gen), true)
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".settings.tmp"), []byte(fmt.Sprintf(
			`{"modules": {"10-slow": {"config": {"slow": 30}}, "30-c": {"config": {"c": 1}}, "50-gen": {"config": {"gen": %d}}}}`, gen)), 0o644))
		require.NoError(t, os.Rename(filepath.Join(dir, ".settings.tmp"), filepath.Join(dir, "wasmhook.json")))
	}
	writeAtomically(t, filepath.Join(dir, "10-slow.wasm"), testmod.Read(t, "sleep_config"))
	writeAtomically(t, filepath.Join(dir, "20-b.wasm"), fixed)
	writeGeneration(2)
	e := newEnricher(t, wasmhook.Options{Dir: dir, Parallelism: 1})

	load := enrichUnderLoad(t, e, func(res *wasmhook.Result) error {
		c := testmod.ContextOf(t, res.Payload)
		gen, _ := c["gen"].(float64)
		_, hasB := c["foo"]
		_, hasD := c["active_branch"]
		if c["slow"] != 30.0 || c["c"] != 1.0 || gen < 2 || hasB != (int(gen)%3 != 0) || hasD != ((int(gen)/2)%2 == 0) {
			return fmt.Errorf("a payload not from one whole generation: %v", c)
		}
		return nil
	})
	// 60 generations, or as many as 3 s allow on a loaded machine.
	start, gen := time.Now(), 2
	for gen < 60 && time.Since(start) < 3*time.Second && !t.Failed() {
		gen++
		writeGeneration(gen)
		_, err := e.Reload(ctx)
		require.NoError(t, err)
	}
	events := load.stop()
	assert.Positive(t, events)
	want := 3 // 10-slow, 30-c, 50-gen; every other module is closed
	if gen%3 != 0 {
		want++ // 20-b
	}
	if (gen/2)%2 == 0 {
		want++ // 40-d
	}
	assert.Equal(t, want, wasmhook.LoadedModules(e), "the modules of generation %d alone are open", gen)
	t.Logf("%d events across %d reloads in %v", events, gen-2, time.Since(start))
}

// TestReloadAfterDeletingAModuleWithSettings: settings (in code or in the
// settings file) that name a module whose file is then deleted must not
// stop the directory from reloading: the module goes, new modules come,
// and the settings left over are reported, with one warning.
func TestReloadAfterDeletingAModuleWithSettings(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		settings string // the settings file, "" for none
		modules  map[string]wasmhook.ModuleSettings
	}{
		"Options.Modules": {modules: map[string]wasmhook.ModuleSettings{
			"20-b": {Limits: wasmhook.Limits{Timeout: 5 * time.Second}}, "10-a": {Config: []byte(`{"a":1}`)}}},
		"Options.Modules disabling it": {modules: map[string]wasmhook.ModuleSettings{"20-b": {Disabled: true}}},
		"settings file modules":        {settings: `{"modules": {"20-b": {"timeout": "5s"}}}`},
		"settings file order":          {settings: `{"order": ["20-b", "10-a"]}`},
		"both":                         {settings: `{"order": ["20-b"], "modules": {"20-b": {"on_failure": "fail"}}}`, modules: map[string]wasmhook.ModuleSettings{"20-b": {}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := modulesDir(t, map[string]string{"10-a": "echo_config", "20-b": "fixed"})
			if tc.settings != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.json"), []byte(tc.settings), 0o644))
			}
			var logs testmod.LogBuffer
			e := newEnricher(t, wasmhook.Options{Dir: dir, Modules: tc.modules, Logger: testmod.Logger(&logs)})

			require.NoError(t, os.Remove(filepath.Join(dir, "20-b.wasm")))
			writeAtomically(t, filepath.Join(dir, "30-c.wasm"), testmod.Read(t, "active_branch"))
			res, err := e.Reload(ctx)
			require.NoError(t, err, "a deleted module must not freeze the directory")
			assert.Equal(t, []string{"10-a", "30-c"}, callbackNames(e), "20-b gone, 30-c loaded")
			assert.Equal(t, []string{"20-b"}, res.Unmatched)
			assert.Equal(t, 1, res.Compiled)
			assert.Equal(t, 2, wasmhook.LoadedModules(e))
			warnings := strings.Count(logs.String(), "settings name a module that is not in the directory")
			assert.Positive(t, warnings)
			assert.Contains(t, logs.String(), "module=20-b")

			// A rescan that finds the same: reported again, not logged again.
			res, err = e.Reload(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"20-b"}, res.Unmatched)
			assert.Equal(t, warnings, strings.Count(logs.String(), "settings name a module that is not in the directory"))

			// The module comes back: its settings apply again.
			writeAtomically(t, filepath.Join(dir, "20-b.wasm"), testmod.Read(t, "fixed"))
			res, err = e.Reload(ctx)
			require.NoError(t, err)
			assert.Empty(t, res.Unmatched)
			if tc.modules["20-b"].Disabled {
				assert.NotContains(t, callbackNames(e), "20-b")
			} else {
				assert.Contains(t, callbackNames(e), "20-b")
			}
		})
	}
}

// TestNewRefusesSettingsForNoModule: at New, before anything runs, a name
// with no module file is taken for a typo and fails, naming the setting.
func TestNewRefusesSettingsForNoModule(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-a": "fixed"})
	_, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, Logger: testmod.Logger(io.Discard),
		Modules: map[string]wasmhook.ModuleSettings{"10-b": {}}})
	assert.ErrorContains(t, err, `settings for module "10-b", but there is no 10-b.wasm in `+dir)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte("order: [10-b]\n"), 0o644))
	_, err = wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, Logger: testmod.Logger(io.Discard)})
	assert.ErrorContains(t, err, "wasmhook.yaml: order[0]: there is no 10-b.wasm in "+dir)
}

// loadGenerator is events enriched on 4 goroutines until stop.
type loadGenerator struct {
	halt   atomic.Bool
	events atomic.Int64
	wg     sync.WaitGroup
}

// enrichUnderLoad enriches siteEvent on 4 goroutines until stop is
// called. An Enrich error, a failed callback or an error from check fails
// the test and ends that goroutine.
func enrichUnderLoad(t *testing.T, e *wasmhook.Enricher, check func(*wasmhook.Result) error) *loadGenerator {
	l := new(loadGenerator)
	for range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.halt.Load() {
				res, err := e.Enrich(context.Background(), &siteEvent)
				if err != nil {
					t.Errorf("Enrich: %v", err)
					return
				}
				if len(res.Failed()) > 0 {
					t.Errorf("a good callback's result was lost: %v", res.Failed()[0].Err)
					return
				}
				if err := check(res); err != nil {
					t.Error(err)
					return
				}
				l.events.Add(1)
			}
		}()
	}
	return l
}

// stop ends the load and returns how many events were enriched.
func (l *loadGenerator) stop() int64 {
	l.halt.Store(true)
	l.wg.Wait()
	return l.events.Load()
}
