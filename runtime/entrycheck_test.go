package runtime

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// TestAddEntryChecks: every test module still compiles after the rewrite,
// with the same imports and exports, and grows by 3 bytes a function.
func TestAddEntryChecks(t *testing.T) {
	files, err := filepath.Glob("../testdata/*/*.wasm")
	require.NoError(t, err)
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
		out := addEntryChecks(bin)
		funcs := len(orig.ExportedFunctions()) // at least one function each
		require.Greater(t, len(out), len(bin), f)
		assert.Zero(t, (len(out)-len(bin))%3, f)
		rewritten, err := rt.CompileModule(ctx, out)
		require.NoError(t, err, f)
		assert.Equal(t, len(orig.ImportedFunctions()), len(rewritten.ImportedFunctions()), f)
		assert.Equal(t, funcs, len(rewritten.ExportedFunctions()), f)
	}
	// Bytes that do not parse pass through for the compiler to reject.
	for _, bad := range [][]byte{nil, []byte("\x00asm\x01\x00\x00\x00\x0a\x05\x01"), []byte("hello")} {
		assert.True(t, bytes.Equal(bad, addEntryChecks(bad)))
	}
}
