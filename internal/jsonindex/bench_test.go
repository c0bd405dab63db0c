package jsonindex_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/wasmhook/wasmhook/internal/jsonindex"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// w1Data is the data of workload W1 (testdata/w1): a NetBox site.
func w1Data(b *testing.B) []byte {
	raw, err := os.ReadFile("../../testdata/w1/event.json")
	if err != nil {
		b.Fatal(err)
	}
	var ev struct{ Data json.RawMessage }
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Fatal(err)
	}
	return ev.Data
}

// BenchmarkBuildW1 indexes W1's data, beside the validation every event's
// data goes through (jsonraw.Validate), for scale, and both in one pass
// (BuildValidate).
func BenchmarkBuildW1(b *testing.B) {
	data := w1Data(b)
	var validated, built jsonindex.Index
	for _, c := range []struct {
		name string
		run  func([]byte) error
	}{{"validate+index", validated.BuildValidate}, {"build", built.Build}, {"validate", jsonraw.Validate}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupW1 looks up W1's cb2 fields in an index of its data, and
// in one that remembers its answers (Memoize: a cached response's, asked
// the same paths by every call).
func BenchmarkLookupW1(b *testing.B) {
	for _, memo := range []bool{false, true} {
		var ix jsonindex.Index
		if err := ix.Build(w1Data(b)); err != nil {
			b.Fatal(err)
		}
		name := "walk"
		if memo {
			ix.Memoize()
			name = "memo"
		}
		for _, path := range []string{"/status/value", "/name", "/last_updated", "/tags/0/name"} {
			b.Run(name+path, func(b *testing.B) {
				p := []byte(path)
				b.ReportAllocs()
				for b.Loop() {
					if _, st := ix.Lookup(p, nil); st != jsonindex.Found {
						b.Fatal(st)
					}
				}
			})
		}
	}
}
