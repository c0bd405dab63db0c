package wasmhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	assert.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil, "native": 1.0}, contextOf(t, out.Payload))

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

	var stop atomic.Bool
	var events atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				res, err := e.Enrich(ctx, &siteEvent)
				if err != nil {
					t.Errorf("Enrich: %v", err)
					return
				}
				if len(res.Failed()) > 0 {
					t.Errorf("a callback failed during a swap: %v", res.Failed())
					return
				}
				var p struct{ Context map[string]int }
				if err := json.Unmarshal(res.Payload, &p); err != nil {
					t.Error(err)
					return
				}
				a, b := p.Context["a"], p.Context["b"]
				c, hasC := p.Context["c"]
				if a == 0 || a != b || (hasC && c != a) || hasC != (a%3 != 0) {
					t.Errorf("payload mixes generations: %v", p.Context)
					return
				}
				events.Add(1)
			}
		}()
	}
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
	stop.Store(true)
	wg.Wait()
	assert.Positive(t, events.Load())
	assert.Equal(t, 2, wasmhook.LoadedModules(e), "generation 30 has a and b; every replaced module is closed")
	t.Logf("%d events across 29 reloads", events.Load())
}
