package jsonindex

import (
	"os"
	"testing"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// FuzzBuildValidate: BuildValidate accepts exactly what jsonraw.Validate
// accepts, with its error, and indexes it as Build does: the same nodes,
// a key Build finds escaped marked escaped too (BuildValidate may mark
// more: keys its validation read slowly, as those beyond ASCII).
func FuzzBuildValidate(f *testing.F) {
	for _, doc := range []string{
		`{"data": {"status": {"value": "active"}, "name": "x"}}`,
		`{"a": 1, "a": {"b": [true, null]}}`, `{"a/b": {"m~n": 1}}`,
		`{"\u00e9\ud83d\ude00": "x", "\ud800": 2}`, `{"é": "ü", "k\"q": "v\\"}`,
		`[[], {}, "", 0, -0.5e-7]`, `{"": {"": 1}}`, ` {"a" : [ 1 , 2 ] } `,
		`"top"`, `12`, `true`, `null`, `[]`, `{}`, ` [ {} , [ ] ] `,
		"{\"a\":\t\"b\",\n\"c\"\r:{\"d\":[1,\"e\", \"f\"]}}",
		`{"long key long key": "long value long value long", "x": "y"}`,
		`{"a": "b", "c": "d", "e": ["f", "g", "h"]}`,
		`{"a": 1`, `{"a" 1}`, `[1,]`, `{"a": "\x01"}`, `{"a": "\xff"}`, ``,
	} {
		f.Add([]byte(doc))
	}
	if w1, err := os.ReadFile("../../testdata/w1/event.json"); err == nil {
		f.Add(w1)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var ix, ref Index
		err := ix.BuildValidate(doc)
		want := jsonraw.Validate(doc)
		if (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
			t.Fatalf("BuildValidate: %v; Validate: %v (%q)", err, want, doc)
		}
		if err != nil {
			if ix.Nodes() != 0 || ix.Doc() != nil {
				t.Fatalf("an index after an error: %d nodes", ix.Nodes())
			}
			return
		}
		if err := ref.Build(doc); err != nil {
			t.Fatalf("Build refuses what Validate accepts: %v (%q)", err, doc)
		}
		if len(ix.nodes) != len(ref.nodes) {
			t.Fatalf("%d nodes, Build %d (%q)", len(ix.nodes), len(ref.nodes), doc)
		}
		for i, n := range ix.nodes {
			r := ref.nodes[i]
			if r.KeyLen&keyEscaped != 0 && n.KeyLen&keyEscaped == 0 {
				t.Fatalf("node %d: key %q not marked escaped (%q)", i, doc[r.Key:r.Key+r.KeyLen&^keyEscaped], doc)
			}
			n.KeyLen |= r.KeyLen & keyEscaped
			r.KeyLen |= n.KeyLen & keyEscaped
			if n != r {
				t.Fatalf("node %d: %+v, Build %+v (%q)", i, n, r, doc)
			}
		}
	})
}
