package runtime

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// withCustomSection returns bin with a custom section named name appended
// (with one byte of content: wazero v1.12 fails to read an empty one): the
// same module in different bytes.
func withCustomSection(bin []byte, name string) []byte {
	if len(name) > 100 {
		panic("name too long for a one-byte size")
	}
	out := append([]byte{}, bin...)
	out = append(out, 0, byte(1+len(name)+1), byte(len(name)))
	return append(append(out, name...), 0)
}

// TestCompileLocksAreForgotten: the per-bytes compile locks last only as
// long as the compilations that hold them. Loading modules of new bytes
// again and again (every reload of an edited plugin) must not grow the
// engine, nor must many loads of the same bytes at once.
func TestCompileLocksAreForgotten(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Config{Logger: testmod.Logger(io.Discard)})
	require.NoError(t, err)
	defer e.Close(ctx)
	fixed := testmod.Read(t, "fixed")

	for i := range 20 {
		m, err := e.Load(ctx, "fixed", "fixed.wasm", withCustomSection(fixed, fmt.Sprint("v", i)), ModuleOptions{})
		require.NoError(t, err)
		require.NoError(t, m.Close(ctx))
	}
	assert.Empty(t, e.compiling, "no entry left after 20 loads of distinct bytes")

	var wg sync.WaitGroup
	same := withCustomSection(fixed, "same")
	for range 8 {
		wg.Go(func() {
			m, err := e.Load(ctx, "fixed", "fixed.wasm", same, ModuleOptions{})
			if assert.NoError(t, err) {
				assert.NoError(t, m.Close(ctx))
			}
		})
	}
	wg.Wait()
	assert.Empty(t, e.compiling, "no entry left after 8 loads of the same bytes at once")
}
