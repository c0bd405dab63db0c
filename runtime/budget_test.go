package runtime

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
)

// withBudget runs the test with the host's memory budget set to limit.
func withBudget(t *testing.T, limit uint64) {
	memoryBudget.once.Do(func() { memoryBudget.limit = hostMemoryBudget() })
	saved := memoryBudget.limit
	require.Zero(t, memoryBudget.used.Load(), "no instance memory may be alive when the budget changes")
	memoryBudget.limit = limit
	t.Cleanup(func() { memoryBudget.limit = saved })
}

// TestMemoryBudget: instance memories reserve their whole limit while the
// budget has room, then grow on the heap within it; past it, a new
// instance is refused with ErrMemoryLimit and a memory.grow fails; closing
// gives everything back.
func TestMemoryBudget(t *testing.T) {
	withBudget(t, 6*(16<<20)) // reservations may take half
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Limits: Limits{MemoryBytes: 16 << 20, PoolSize: 1, Timeout: 10 * time.Second}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer e.Close(ctx)
	bin, err := os.ReadFile("../testdata/wat/fixed.wasm")
	require.NoError(t, err)
	var mods []*Module
	for i := 0; i < 3+48*16; i++ { // 3 reserve 16 MiB each, the rest take a 64 KiB page on the heap
		m, err := e.Load(ctx, "fixed", "fixed.wasm", bin, ModuleOptions{})
		require.NoError(t, err, "module %d", i)
		mods = append(mods, m)
	}
	assert.EqualValues(t, 6*(16<<20), memoryBudget.used.Load())
	_, err = e.Load(ctx, "fixed", "fixed.wasm", bin, ModuleOptions{})
	require.ErrorIs(t, err, abi.ErrMemoryLimit)
	assert.ErrorContains(t, err, "budget")
	for _, m := range mods[:6] {
		out, err := m.Call(ctx, []byte(`{}`), nil)
		require.NoError(t, err)
		assert.JSONEq(t, `{"foo":123}`, string(out))
	}
	for _, m := range mods {
		require.NoError(t, m.Close(ctx))
	}
	assert.Zero(t, memoryBudget.used.Load(), "closing gives the budget back")
}

// TestMemoryBudgetRefusesAGrow: a heap-backed memory that would grow past
// the budget gets -1 from memory.grow, reported as ErrMemoryLimit naming
// the budget.
func TestMemoryBudgetRefusesAGrow(t *testing.T) {
	withBudget(t, 8<<20) // below the 16 MiB limit: no reservation, heap only
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Limits: Limits{MemoryBytes: 16 << 20, PoolSize: 1, Timeout: 10 * time.Second}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	defer e.Close(ctx)
	bin, err := os.ReadFile("../testdata/hostile/memory_hog.wasm")
	require.NoError(t, err)
	m, err := e.Load(ctx, "hog", "memory_hog.wasm", bin, ModuleOptions{})
	require.NoError(t, err)
	_, err = m.Call(ctx, []byte(`{}`), nil)
	require.ErrorIs(t, err, abi.ErrMemoryLimit)
	assert.ErrorContains(t, err, "budget")
	assert.LessOrEqual(t, memoryBudget.used.Load(), uint64(8<<20))
	require.NoError(t, m.Close(ctx))
	assert.Zero(t, memoryBudget.used.Load())
}
