package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
)

// FuzzInstrument feeds the rewriter (and the shape check before it) the
// untrusted bytes a module file may hold: it must never panic, and a
// module it accepts that wazero compiles as given must still compile once
// rewritten. The seeds are the test and hostile modules.
func FuzzInstrument(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*/*.wasm")
	for _, file := range files {
		if bin, err := os.ReadFile(file); err == nil && len(bin) < 64<<10 {
			f.Add(bin)
		}
	}
	ctx := context.Background()
	// The interpreter validates a module as the compiler does, faster.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	f.Cleanup(func() { rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, bin []byte) {
		out, err := instrument(bin, 1<<20)
		if err != nil {
			return // refused: the error is the point
		}
		orig, err := rt.CompileModule(ctx, bin)
		if err != nil {
			return // not a valid module to begin with
		}
		orig.Close(ctx)
		cm, err := rt.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("a valid module no longer compiles once rewritten: %v", err)
		}
		cm.Close(ctx)
	})
}
