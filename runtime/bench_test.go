package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/runtime"
)

// BenchmarkCallOverhead is the host's cost of one reactor call: a guest
// that sets a fixed output without reading its input (testdata/wat/fixed).
func BenchmarkCallOverhead(b *testing.B) {
	e := newEngine(b, runtime.Limits{Timeout: 10 * time.Second}, nil)
	m := load(b, e, "fixed", runtime.ModuleOptions{})
	ctx := context.Background()
	in := []byte(input)
	out := make([]byte, 0, 64)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if out, err = m.Call(ctx, in, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
