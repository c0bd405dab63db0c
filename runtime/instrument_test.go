package runtime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/wasmhook/wasmhook/abi"
)

// TestInstrumentKeepsModulesValid: every test and example module still
// compiles after the rewrite, with the same imports and exports plus the
// stop flag, and a start function moved to an export.
func TestInstrumentKeepsModulesValid(t *testing.T) {
	files, err := filepath.Glob("../testdata/*/*.wasm")
	require.NoError(t, err)
	more, _ := filepath.Glob("../examples/*/*.wasm")
	files = append(files, more...)
	require.NotEmpty(t, files)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, f := range files {
		bin, err := os.ReadFile(f)
		require.NoError(t, err)
		orig, err := rt.CompileModule(ctx, bin)
		if err != nil {
			continue // a module meant not to compile
		}
		out, err := instrument(bin, uint64(DefaultLimits().MemoryBytes))
		var refused *refusal
		if errors.As(err, &refused) {
			assert.Contains(t, []string{"reserved_export.wasm", "table_huge.wasm"}, filepath.Base(f), "refused: %v", err)
			continue
		}
		require.NoError(t, err, f)
		if bytes.Equal(out, bin) {
			assert.NotEmpty(t, orig.ImportedMemories(), "%s: only a module without a memory of its own is left as it is", f)
			continue
		}
		got, err := rt.CompileModule(ctx, out)
		require.NoError(t, err, f)
		assert.Equal(t, len(orig.ImportedFunctions()), len(got.ImportedFunctions()), f)
		for name := range orig.ExportedFunctions() {
			assert.Contains(t, got.ExportedFunctions(), name, f)
		}
		assert.True(t, bytes.Contains(out, []byte(StopGlobalName)), "%s exports the stop flag", f)
	}

	start, err := os.ReadFile("../testdata/hostile/start_trap.wasm")
	require.NoError(t, err)
	out, err := instrument(start, uint64(DefaultLimits().MemoryBytes))
	require.NoError(t, err)
	c, err := rt.CompileModule(ctx, out)
	require.NoError(t, err)
	assert.Contains(t, c.ExportedFunctions(), StartFuncName, "the start function is exported, not run at instantiation")
	mod, err := rt.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName("start"))
	require.NoError(t, err, "instantiation runs no guest code")
	_, err = mod.ExportedFunction(StartFuncName).Call(ctx)
	assert.ErrorContains(t, err, "unreachable")

	for _, bad := range [][]byte{nil, []byte("\x00asm\x01\x00\x00\x00\x0a\x05\x01"), []byte("hello")} {
		_, err := instrument(bad, uint64(DefaultLimits().MemoryBytes))
		assert.Error(t, err)
	}
}

// TestSpinningGuestLetsTheGCRun: a guest spinning in a loop must not hold
// Go's garbage collector (which stops the world only while every goroutine
// is in Go code), or the collector would hold the timer that stops the
// guest. Every call must end with its timeout while GCs run throughout.
func TestSpinningGuestLetsTheGCRun(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Limits: Limits{Timeout: 100 * time.Millisecond, PoolSize: 4}})
	require.NoError(t, err)
	defer e.Close(ctx)
	bin, err := os.ReadFile("../testdata/hostile/loop.wasm")
	require.NoError(t, err)
	m, err := e.Load(ctx, "loop", "loop.wasm", bin, ModuleOptions{})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				goruntime.GC()
			}
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				_, err := m.Call(ctx, []byte(`{}`), nil)
				assert.ErrorIs(t, err, abi.ErrTimeout)
			}
		}()
	}
	wg.Wait()
	close(done)
}
