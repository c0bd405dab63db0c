package jsonraw

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mergeAll(t *testing.T, objs ...string) *Merge {
	t.Helper()
	var m Merge
	for _, o := range objs {
		require.NoError(t, m.Add([]byte(o)))
	}
	return &m
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name    string
		objs    []string
		compact string
		python  string
	}{
		{"nothing", nil, `{}`, `{}`},
		{"empty objects", []string{`{}`, ` { } `}, `{}`, `{}`},
		{"one", []string{`{"a":1}`}, `{"a":1}`, `{"a": 1}`},
		{"later wins, first position kept",
			[]string{`{"a":1,"b":2}`, `{"b":3,"c":4}`},
			`{"a":1,"b":3,"c":4}`, `{"a": 1, "b": 3, "c": 4}`},
		{"duplicates in one object",
			[]string{`{"a":1,"b":2,"a":3}`},
			`{"a":3,"b":2}`, `{"a": 3, "b": 2}`},
		{"duplicates across and within",
			[]string{`{"x":0}`, `{"y":1,"x":2,"y":3}`, `{"z":4,"x":5}`},
			`{"x":5,"y":3,"z":4}`, `{"x": 5, "y": 3, "z": 4}`},
		{"values raw",
			[]string{`{"o": { "k" : [1, 2.50, "é"] }, "n": 1E+2}`},
			`{"o":{ "k" : [1, 2.50, "é"] },"n":1E+2}`, `{"o": { "k" : [1, 2.50, "é"] }, "n": 1E+2}`},
		{"keys escaped per style",
			[]string{`{"Zürich":1,"\ud83d\ude00":2,"a\"b":3,"\u2028":4,"<&>":5}`},
			"{\"Zürich\":1,\"😀\":2,\"a\\\"b\":3,\"\\u2028\":4,\"<&>\":5}",
			`{"Z\u00fcrich": 1, "\ud83d\ude00": 2, "a\"b": 3, "\u2028": 4, "<&>": 5}`},
		{"escaped and raw spellings are the same key",
			[]string{`{"\u0061":1}`, `{"a":2}`},
			`{"a":2}`, `{"a": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mergeAll(t, tt.objs...)
			assert.Equal(t, tt.compact, string(m.AppendObject(nil, Compact)))
			assert.Equal(t, tt.python, string(m.AppendObject(nil, Python)))
			assert.Equal(t, "prefix"+tt.compact, string(m.AppendObject([]byte("prefix"), Compact)))
			assert.NoError(t, Validate(m.AppendObject(nil, Compact)))
			assert.NoError(t, Validate(m.AppendObject(nil, Python)))
		})
	}
}

// refMerge is a straightforward model of dict.update on ordered keys.
type refMerge struct {
	keys []string
	vals map[string]string
}

func (r *refMerge) set(k, v string) {
	if r.vals == nil {
		r.vals = map[string]string{}
	}
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

func (r *refMerge) compact() string {
	var b []byte
	b = append(b, '{')
	for i, k := range r.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		b = append(b, r.vals[k]...)
	}
	return string(append(b, '}'))
}

func TestMergeManyKeys(t *testing.T) {
	for _, n := range []int{mapThreshold - 1, mapThreshold, mapThreshold + 1, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var m Merge
			var ref refMerge
			for round := range 3 {
				var sb strings.Builder
				sb.WriteString("{")
				for i := range n {
					if i > 0 {
						sb.WriteString(",")
					}
					// Each round overwrites every other key and adds new ones.
					k := "k" + strconv.Itoa(i*(round+1)/2)
					v := strconv.Itoa(round*1000 + i)
					sb.WriteString(`"` + k + `":` + v)
					ref.set(k, v)
				}
				sb.WriteString("}")
				require.NoError(t, m.Add([]byte(sb.String())))
				assert.Equal(t, len(ref.keys), m.Len())
				assert.Equal(t, ref.compact(), string(m.AppendObject(nil, Compact)))
			}
		})
	}
}

func TestMergeReset(t *testing.T) {
	var m Merge
	var big strings.Builder
	big.WriteString("{")
	for i := range 40 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	big.WriteString("}")
	require.NoError(t, m.Add([]byte(big.String())))
	assert.Equal(t, 40, m.Len())

	m.Reset()
	assert.Equal(t, 0, m.Len())
	assert.Equal(t, `{}`, string(m.AppendObject(nil, Compact)))

	require.NoError(t, m.Add([]byte(`{"k5":1,"b":2}`)))
	require.NoError(t, m.Add([]byte(`{"b":3,"k39":4}`)))
	assert.Equal(t, 3, m.Len())
	assert.Equal(t, `{"k5":1,"b":3,"k39":4}`, string(m.AppendObject(nil, Compact)))

	m.Reset()
	require.NoError(t, m.Add([]byte(`{"x":true}`)))
	assert.Equal(t, `{"x": true}`, string(m.AppendObject(nil, Python)))
}

func TestMergeAddNotObject(t *testing.T) {
	m := mergeAll(t, `{"a":1}`)
	for _, in := range []string{``, `[]`, `1`, `null`, `"x"`, `{1:2}`} {
		assert.Error(t, m.Add([]byte(in)), "input %q", in)
	}
	assert.Equal(t, `{"a":1}`, string(m.AppendObject(nil, Compact)))
}

func TestMergeDoesNotAllocateWhenWarm(t *testing.T) {
	objs := [][]byte{
		[]byte(`{"event":"created","model":"dcim.site"}`),
		[]byte(`{"plugin":"geo","lat":52.52,"lon":13.405}`),
		[]byte(`{"plugin":"owner","team":"netops","event":"enriched"}`),
	}
	var m Merge
	dst := make([]byte, 0, 512)
	run := func() {
		m.Reset()
		for _, o := range objs {
			if err := m.Add(o); err != nil {
				panic(err)
			}
		}
		dst = m.AppendObject(dst[:0], Python)
	}
	run()
	assert.Zero(t, testing.AllocsPerRun(100, run))
	assert.Equal(t, `{"event": "enriched", "model": "dcim.site", "plugin": "owner", "lat": 52.52, "lon": 13.405, "team": "netops"}`, string(dst))
}

func TestStyleString(t *testing.T) {
	assert.Equal(t, "Compact", Compact.String())
	assert.Equal(t, "Python", Python.String())
	assert.Equal(t, "Style(9)", Style(9).String())
}

// TestMergeOverwrites: a key set again by another source is an
// overwrite, noted with both sources; a key repeated within one source,
// or set again by the same source, is not. Nested values (SetAs) take
// the position of their first setting, like any key.
func TestMergeOverwrites(t *testing.T) {
	var m Merge
	if err := m.AddAs(0, []byte(`{"a": 1, "b": 2, "a": 3}`)); err != nil {
		t.Fatal(err)
	}
	m.SetAs(1, "geo", []byte(`{"x": 1}`))
	if err := m.AddAs(2, []byte(`{"b": 20, "c": 30}`)); err != nil {
		t.Fatal(err)
	}
	m.SetAs(2, "c", []byte(`31`))
	m.SetAs(3, "geo", []byte(`{"y": 2}`))
	m.SetAs(3, "a", []byte(`4`))
	want := []Overwrite{{Key: "b", Prev: 0, Owner: 2}, {Key: "geo", Prev: 1, Owner: 3}, {Key: "a", Prev: 0, Owner: 3}}
	if got := m.Overwrites(); !slices.Equal(got, want) {
		t.Fatalf("Overwrites() = %v, want %v", got, want)
	}
	if got := string(m.AppendObject(nil, Python)); got != `{"a": 4, "b": 20, "geo": {"y": 2}, "c": 31}` {
		t.Fatalf("merged %s", got)
	}
	if o, ok := m.Owner("c"); !ok || o != 2 {
		t.Fatalf("Owner(c) = %d, %v", o, ok)
	}
	if _, ok := m.Owner("zz"); ok {
		t.Fatal("Owner of a key never set")
	}
	m.Reset()
	if len(m.Overwrites()) != 0 || m.Len() != 0 {
		t.Fatal("Reset keeps overwrites or keys")
	}
	// Past the map threshold, the same.
	for i := range mapThreshold + 4 {
		m.SetAs(0, string(rune('a'+i)), []byte(`1`))
	}
	m.SetAs(1, "b", []byte(`2`))
	if got := m.Overwrites(); len(got) != 1 || got[0] != (Overwrite{Key: "b", Prev: 0, Owner: 1}) {
		t.Fatalf("with an index: %v", got)
	}
}
