package jsonindex_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/jsonindex"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

func build(t testing.TB, doc string) *jsonindex.Index {
	t.Helper()
	require.NoError(t, jsonraw.Validate([]byte(doc)), "the test's document must be valid")
	var ix jsonindex.Index
	require.NoError(t, ix.Build([]byte(doc)))
	return &ix
}

func TestLookup(t *testing.T) {
	const doc = ` {"object_type": "dcim.site", "data": {"id": 24, "name": "Z\u00fcrich",
		"status": {"value": "active", "label": "Active"},
		"tags": [{"name": "a"}, {"name": "b"}, [], {}], "": "empty key", "a/b": 1, "m~n": 2, "~1": 3,
		"t": true, "f": false, "n": null, "x": -1.5e+3, "s p": "sp", "zürich": "raw", "z\u00fcrich2": "escaped",
		"n\u0061me": "not name", "dup": 1, "dup": {"last": true}, "nested": {"dup": "first"}, "n\\ame": 7},
		"request": null} `
	ix := build(t, doc)
	tests := []struct {
		path, want string
		status     jsonindex.Status
	}{
		{"", strings.TrimSpace(doc), jsonindex.Found},
		{"/object_type", `"dcim.site"`, jsonindex.Found},
		{"/data/id", `24`, jsonindex.Found},
		{"/data/name", `"not name"`, jsonindex.Found}, // "n\u0061me", decoded, is "name", and comes later
		{"/data/status/value", `"active"`, jsonindex.Found},
		{"/data/status", `{"value": "active", "label": "Active"}`, jsonindex.Found},
		{"/data/tags/0/name", `"a"`, jsonindex.Found},
		{"/data/tags/1/name", `"b"`, jsonindex.Found},
		{"/data/tags/2", `[]`, jsonindex.Found},
		{"/data/tags/3", `{}`, jsonindex.Found},
		{"/data/tags/4", ``, jsonindex.Missing},
		{"/data/tags/01", ``, jsonindex.Missing},
		{"/data/tags/-", ``, jsonindex.Missing},
		{"/data/tags/+1", ``, jsonindex.Missing},
		{"/data/tags/99999999999", ``, jsonindex.Missing},
		{"/data/tags/name", ``, jsonindex.Missing},
		{"/data/", `"empty key"`, jsonindex.Found},
		{"/data/a~1b", `1`, jsonindex.Found},
		{"/data/m~0n", `2`, jsonindex.Found},
		{"/data/~01", `3`, jsonindex.Found}, // "~0" then "1": the key "~1", not "/"
		{"/data/t", `true`, jsonindex.Found},
		{"/data/f", `false`, jsonindex.Found},
		{"/data/n", `null`, jsonindex.Found},
		{"/data/x", `-1.5e+3`, jsonindex.Found},
		{"/data/s p", `"sp"`, jsonindex.Found},
		{"/data/zürich", `"raw"`, jsonindex.Found},
		{"/data/zürich2", `"escaped"`, jsonindex.Found},
		{"/data/n\\ame", `7`, jsonindex.Found},
		{"/data/dup", `{"last": true}`, jsonindex.Found},
		{"/data/dup/last", `true`, jsonindex.Found},
		{"/data/nested/dup", `"first"`, jsonindex.Found},
		{"/data/name/x", ``, jsonindex.Missing},
		{"/data/id/0", ``, jsonindex.Missing},
		{"/data/missing", ``, jsonindex.Missing},
		{"/request", `null`, jsonindex.Found},
		{"/request/id", ``, jsonindex.Missing},
		{"/Data", ``, jsonindex.Missing},
		{"data", ``, jsonindex.BadPath},
		{"/data/~2", ``, jsonindex.BadPath},
		{"/data/~", ``, jsonindex.BadPath},
		{"/missing/~", ``, jsonindex.BadPath},
	}
	var scratch []byte
	for _, tt := range tests {
		v, st := ix.Lookup([]byte(tt.path), &scratch)
		assert.Equal(t, tt.status, st, "%q", tt.path)
		assert.Equal(t, tt.want, string(v), "%q", tt.path)
	}
}

func TestLookupDeepNesting(t *testing.T) {
	// At the validator's limit: 1000 levels, alternating objects and arrays.
	var b strings.Builder
	var path strings.Builder
	for i := 0; i < jsonraw.MaxDepth; i++ {
		if i%2 == 0 {
			b.WriteString(`{"k":`)
			path.WriteString("/k")
		} else {
			b.WriteString(`[`)
			path.WriteString("/0")
		}
	}
	b.WriteString(`"bottom"`)
	for i := jsonraw.MaxDepth - 1; i >= 0; i-- {
		if i%2 == 0 {
			b.WriteString(`}`)
		} else {
			b.WriteString(`]`)
		}
	}
	ix := build(t, b.String())
	v, st := ix.Lookup([]byte(path.String()), nil)
	require.Equal(t, jsonindex.Found, st)
	assert.Equal(t, `"bottom"`, string(v))
	v, st = ix.Lookup([]byte(path.String()+"/0"), nil)
	assert.Equal(t, jsonindex.Missing, st)
	assert.Nil(t, v)
}

func TestDecodeString(t *testing.T) {
	tests := map[string]string{
		`"plain"`:                     "plain",
		`""`:                          "",
		`"Z\u00fcrich"`:               "Zürich",
		`"Zürich"`:                    "Zürich",
		`"\ud83d\ude00 x"`:            "😀 x",
		`"\ud83d x"`:                  "\uFFFD x", // a lone surrogate, as encoding/json decodes it
		`"\ude00\ud83d"`:              "\uFFFD\uFFFD",
		`"a\"b\\c\/d\b\f\n\r\t"`:      "a\"b\\c/d\b\f\n\r\t",
		`"\u0000"`:                    "\x00",
		`"tail after escape\n 12345"`: "tail after escape\n 12345",
	}
	for in, want := range tests {
		n := jsonindex.DecodeString(nil, []byte(in))
		require.Equal(t, len(want), n, in)
		buf := make([]byte, n)
		assert.Equal(t, n, jsonindex.DecodeString(buf, []byte(in)), in)
		assert.Equal(t, want, string(buf), in)
		// A short buffer gets a prefix; the length is the whole text's.
		short := make([]byte, n/2)
		assert.Equal(t, n, jsonindex.DecodeString(short, []byte(in)), in)
		assert.Equal(t, want[:n/2], string(short), in)
		var ref string
		require.NoError(t, json.Unmarshal([]byte(in), &ref))
		assert.Equal(t, ref, want, "the table agrees with encoding/json")
	}
	for _, notString := range []string{`1`, `null`, `{}`, `"`, ``} {
		assert.Equal(t, -1, jsonindex.DecodeString(nil, []byte(notString)), notString)
	}
}

func TestBuildRefusesWhatIsNotJSON(t *testing.T) {
	for _, doc := range []string{``, ` `, `{`, `{"a"}`, `{"a":}`, `[1,]x`, `"abc`, `tru`, `1 2`, `{"a":1]`, `[1}`, `@`, `{1:2}`} {
		var ix jsonindex.Index
		assert.Error(t, ix.Build([]byte(doc)), "%q", doc)
		_, st := ix.Lookup([]byte("/a"), nil)
		assert.Equal(t, jsonindex.Missing, st)
	}
}

func TestIndexIsReused(t *testing.T) {
	var ix jsonindex.Index
	require.NoError(t, ix.Build([]byte(`{"a": [1, 2, 3], "b": {"c": "d"}}`)))
	require.NoError(t, ix.Build([]byte(`{"b": 2}`)))
	v, st := ix.Lookup([]byte("/b"), nil)
	assert.Equal(t, jsonindex.Found, st)
	assert.Equal(t, `2`, string(v))
	_, st = ix.Lookup([]byte("/a"), nil)
	assert.Equal(t, jsonindex.Missing, st)
	doc := []byte(`{"a": [1, {"b": "c"}], "d": "e\u00e9"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if ix.Build(doc) != nil {
			t.Fatal("build")
		}
		if _, st := ix.Lookup([]byte("/a/1/b"), nil); st != jsonindex.Found {
			t.Fatal("lookup")
		}
	})
	assert.Zero(t, allocs, "a warm index allocates nothing")
}

// reference looks path up in doc with encoding/json and RFC 6901 as
// written (a map keeps the last of duplicate keys, as json.Unmarshal
// does): the value, whether there is one, and whether path is a pointer.
func reference(doc []byte, path string) (v any, found, valid bool) {
	if path != "" && path[0] != '/' {
		return nil, false, false
	}
	var segs []string
	if path != "" {
		segs = strings.Split(path[1:], "/")
	}
	for i, s := range segs {
		for j := 0; j < len(s); j++ {
			if s[j] == '~' && (j+1 >= len(s) || (s[j+1] != '0' && s[j+1] != '1')) {
				return nil, false, false
			}
		}
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	for _, s := range segs {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[s]; !ok {
				return nil, false, true
			}
		case []any:
			i := -1
			if s == "0" || (len(s) > 0 && s[0] >= '1' && s[0] <= '9' && len(s) <= 10) {
				i = 0
				for _, d := range []byte(s) {
					if d < '0' || d > '9' {
						return nil, false, true
					}
					i = i*10 + int(d-'0')
				}
			}
			if i < 0 || i >= len(c) {
				return nil, false, true
			}
			v = c[i]
		default:
			return nil, false, true
		}
	}
	return v, true, true
}

func decode(t testing.TB, b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), "%q", b)
	return v
}

// FuzzLookup builds an index of any document the validator accepts and
// looks any pointer up in it: the answer must be encoding/json's (the
// value, or none, or not a pointer), and a document the validator refuses
// must neither panic Build nor a lookup.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(`{"data": {"status": {"value": "active"}, "name": "x"}}`), "/data/status/value")
	f.Add([]byte(`{"a": 1, "a": {"b": [true, null]}}`), "/a/b/1")
	f.Add([]byte(`{"a/b": {"m~n": 1}}`), "/a~1b/m~0n")
	f.Add([]byte(`{"\u00e9\ud83d\ude00": "x", "\ud800": 2}`), "/é😀")
	f.Add([]byte(`[[], {}, "", 0, -0.5e-7]`), "/4")
	f.Add([]byte(`{"": {"": 1}}`), "//")
	f.Add([]byte(`{"a": [1, 2]}`), "/a/01")
	f.Add([]byte(`{"a": 1}`), "/a/~2")
	f.Add([]byte(`{"n\u0061me": 1, "name": 2}`), "/name")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		var ix jsonindex.Index
		if jsonraw.Validate(doc) != nil {
			if ix.Build(doc) == nil {
				_, _ = ix.Lookup([]byte(path), nil)
			}
			return
		}
		require.NoError(t, ix.Build(doc))
		var scratch []byte
		got, st := ix.Lookup([]byte(path), &scratch)
		// A memoizing index answers the same, asked once and again.
		var memo jsonindex.Index
		require.NoError(t, memo.Build(doc))
		memo.Memoize()
		for range 2 {
			m, mst := memo.Lookup([]byte(path), &scratch)
			require.Equal(t, st, mst, "memo: %q in %q", path, doc)
			require.Equal(t, string(got), string(m), "memo: %q in %q", path, doc)
		}
		want, found, valid := reference(doc, path)
		switch {
		case !valid:
			require.Equal(t, jsonindex.BadPath, st, "%q in %q", path, doc)
		case !found:
			require.Equal(t, jsonindex.Missing, st, "%q in %q", path, doc)
		default:
			require.Equal(t, jsonindex.Found, st, "%q in %q", path, doc)
			require.Equal(t, want, decode(t, got), "%q in %q", path, doc)
			require.Equal(t, string(bytes.TrimSpace(got)), string(got), "no white space around a value")
			if s, ok := want.(string); ok {
				n := jsonindex.DecodeString(nil, got)
				buf := make([]byte, n)
				jsonindex.DecodeString(buf, got)
				require.Equal(t, s, string(buf))
			}
		}
	})
}

// TestMemo: an index that remembers its answers gives the same ones as
// without, found or not, escaped or not, also to paths that share a slot
// and to many goroutines at once; a new Build forgets them.
func TestMemo(t *testing.T) {
	doc := []byte(`{"name": "Acme", "slug": "old", "slug": "acme", "a/b": 1, "m~n": [true, {"x": null}], "tags": []}`)
	paths := []string{"/name", "/slug", "/a~1b", "/m~0n/1/x", "/m~0n/0", "/missing", "/name/x", "", "/tags/0", "bad", "/~2",
		"/" + strings.Repeat("k", 200)}
	var plain, memo jsonindex.Index
	require.NoError(t, plain.Build(doc))
	require.NoError(t, memo.Build(doc))
	sizeBefore := memo.Size()
	memo.Memoize()
	assert.Greater(t, memo.Size(), sizeBefore, "the memo counts toward Size")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				for _, p := range paths {
					want, wantSt := plain.Lookup([]byte(p), nil)
					got, gotSt := memo.Lookup([]byte(p), nil)
					if !assert.Equal(t, wantSt, gotSt, p) || !assert.Equal(t, string(want), string(got), p) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, memo.Build([]byte(`{"name": "Other"}`)))
	v, st := memo.Lookup([]byte("/name"), nil)
	assert.Equal(t, jsonindex.Found, st)
	assert.Equal(t, `"Other"`, string(v), "a new build forgets the last document's answers")
	assert.Equal(t, sizeBefore, memo.Size(), "nor counts them")
}

// TestMemoKeepsTheFirstPathOfASlot: paths that share a slot, asked in
// turn, neither replace each other nor allocate once the slot is taken.
func TestMemoKeepsTheFirstPathOfASlot(t *testing.T) {
	var ix jsonindex.Index
	require.NoError(t, ix.Build([]byte(`{"ab": 1, "ba": 2, "x": {"ab": 3}}`)))
	ix.Memoize()
	// "/ab" and "/ba" hash alike only by chance; "/x/ab" and "/ab"
	// differ in length. Ask many paths, then the same again.
	paths := [][]byte{[]byte("/ab"), []byte("/ba"), []byte("/x/ab"), []byte("/x"), []byte("/missing"), []byte("/a"), []byte("/b"), []byte("/x/b"), []byte("/x/a"), []byte("/abc")}
	for _, p := range paths {
		ix.Lookup(p, nil)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range paths {
			ix.Lookup(p, nil)
		}
	})
	assert.Zero(t, allocs, "ten paths, eight slots: the ones without a slot walk, and allocate nothing")
	for want, p := range map[string]string{"1": "/ab", "2": "/ba", "3": "/x/ab"} {
		v, st := ix.Lookup([]byte(p), nil)
		assert.Equal(t, jsonindex.Found, st)
		assert.Equal(t, want, string(v), p)
	}
}
