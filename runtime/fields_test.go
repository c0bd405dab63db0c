package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonindex"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
	"github.com/wasmhook/wasmhook/runtime"
)

// fieldsInput is an input JSON with what field reads must get right:
// escaped and unicode keys, a key twice, arrays, a request.
const fieldsInput = `{"object_type":"dcim.site","event_type":"object_updated","data":{"id": 24, "name": "Z\u00fcrich",
 "status": {"value": "active", "label": "Active"}, "tags": [{"name": "a"}, {"name": "b"}], "flag": true,
 "dup": "first", "a/b": "slash", "m~n": "tilde", "z\u00fcrich": "unicode key", "dup": "last"},
 "request":{"id":"5c8e2a0b-7d3f-4e61-9a2c-0f1b3d4e5a6c","method":"PATCH","path":"/api/dcim/sites/24/","user":"jstretch"}}`

type probeResult struct {
	Type   int             `json:"type"`
	Read   int             `json:"read"`
	String int             `json:"string"`
	Value  json.RawMessage `json:"value"`
	Text   *string         `json:"text"`
}

// probe loads field_probe looking path up in document doc, with extra
// configuration members, and calls it on ev.
func probe(t *testing.T, e *runtime.Engine, ev *runtime.Event, doc int, path, extra string) probeResult {
	t.Helper()
	p, err := json.Marshal(path)
	require.NoError(t, err)
	cfg := fmt.Sprintf(`{"doc": %d, "path": %s%s}`, doc, p, extra)
	m := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(cfg)})
	defer m.Close(context.Background())
	out, err := m.CallEvent(context.Background(), time.Now(), ev, nil)
	require.NoError(t, err, "%s", cfg)
	var r probeResult
	require.NoError(t, json.Unmarshal(out, &r), "%s", out)
	return r
}

// TestFieldReads looks paths up in every document through the three
// field functions (abi/SPEC.md, "Field reads"): types, raw bytes, decoded
// strings, and statuses (never traps) for what is missing or malformed.
func TestFieldReads(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	var ev runtime.Event
	ev.Reset([]byte(fieldsInput), []byte(`{"name": "Old", "status": {"value": "planned"}}`), []byte(`{"name": "New"}`))
	str := func(s string) *string { return &s }
	tests := []struct {
		doc   int
		path  string
		extra string
		want  probeResult
	}{
		{abi.DocInput, "/object_type", "", probeResult{abi.FieldString, 11, 9, json.RawMessage(`"dcim.site"`), str("dcim.site")}},
		{abi.DocInput, "/data/name", "", probeResult{abi.FieldString, 13, 7, json.RawMessage(`"Z\u00fcrich"`), str("Zürich")}},
		{abi.DocInput, "/data/status/value", "", probeResult{abi.FieldString, 8, 6, json.RawMessage(`"active"`), str("active")}},
		{abi.DocInput, "/data/status", "", probeResult{abi.FieldObject, 38, abi.FieldNotString, json.RawMessage(`{"value": "active", "label": "Active"}`), nil}},
		{abi.DocInput, "/data/tags/1/name", "", probeResult{abi.FieldString, 3, 1, json.RawMessage(`"b"`), str("b")}},
		{abi.DocInput, "/data/tags/2", "", probeResult{abi.FieldMissing, abi.FieldMissing, abi.FieldMissing, json.RawMessage(`null`), nil}},
		{abi.DocInput, "/data/tags", "", probeResult{abi.FieldArray, 30, abi.FieldNotString, json.RawMessage(`[{"name": "a"}, {"name": "b"}]`), nil}},
		{abi.DocInput, "/data/id", "", probeResult{abi.FieldNumber, 2, abi.FieldNotString, json.RawMessage(`24`), nil}},
		{abi.DocInput, "/data/flag", "", probeResult{abi.FieldTrue, 4, abi.FieldNotString, json.RawMessage(`true`), nil}},
		{abi.DocInput, "/data/dup", "", probeResult{abi.FieldString, 6, 4, json.RawMessage(`"last"`), str("last")}},
		{abi.DocInput, "/data/a~1b", "", probeResult{abi.FieldString, 7, 5, json.RawMessage(`"slash"`), str("slash")}},
		{abi.DocInput, "/data/m~0n", "", probeResult{abi.FieldString, 7, 5, json.RawMessage(`"tilde"`), str("tilde")}},
		{abi.DocInput, "/data/zürich", "", probeResult{abi.FieldString, 13, 11, json.RawMessage(`"unicode key"`), str("unicode key")}},
		{abi.DocInput, "/request/user", "", probeResult{abi.FieldString, 10, 8, json.RawMessage(`"jstretch"`), str("jstretch")}},
		{abi.DocInput, "/data/missing", "", probeResult{abi.FieldMissing, abi.FieldMissing, abi.FieldMissing, json.RawMessage(`null`), nil}},
		{abi.DocInput, "/data/name/0", "", probeResult{abi.FieldMissing, abi.FieldMissing, abi.FieldMissing, json.RawMessage(`null`), nil}},
		{abi.DocInput, "data", "", probeResult{abi.FieldBadPath, abi.FieldBadPath, abi.FieldBadPath, json.RawMessage(`null`), nil}},
		{abi.DocInput, "/data/~2", "", probeResult{abi.FieldBadPath, abi.FieldBadPath, abi.FieldBadPath, json.RawMessage(`null`), nil}},
		{abi.DocConfig, "/namespace", `, "namespace": "geo"`, probeResult{abi.FieldString, 5, 3, json.RawMessage(`"geo"`), str("geo")}},
		{abi.DocConfig, "/doc", "", probeResult{abi.FieldNumber, 1, abi.FieldNotString, json.RawMessage(`1`), nil}},
		{abi.DocPrechange, "/status/value", "", probeResult{abi.FieldString, 9, 7, json.RawMessage(`"planned"`), str("planned")}},
		{abi.DocPostchange, "/name", "", probeResult{abi.FieldString, 5, 3, json.RawMessage(`"New"`), str("New")}},
		{abi.DocPostchange, "/status", "", probeResult{abi.FieldMissing, abi.FieldMissing, abi.FieldMissing, json.RawMessage(`null`), nil}},
		{abi.DocResponse, "", "", probeResult{abi.FieldNoResponse, abi.FieldNoResponse, abi.FieldNoResponse, json.RawMessage(`null`), nil}},
		{5, "", "", probeResult{abi.FieldNoDocument, abi.FieldNoDocument, abi.FieldNoDocument, json.RawMessage(`null`), nil}},
		{-1, "", "", probeResult{abi.FieldNoDocument, abi.FieldNoDocument, abi.FieldNoDocument, json.RawMessage(`null`), nil}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d%s", tt.doc, tt.path), func(t *testing.T) {
			got := probe(t, e, &ev, tt.doc, tt.path, tt.extra)
			assert.Equal(t, tt.want, got)
		})
	}
	// The whole input is what input_read copies.
	got := probe(t, e, &ev, abi.DocInput, "", "")
	assert.Equal(t, abi.FieldObject, got.Type)
	assert.Equal(t, len(fieldsInput), got.Read)
	assert.JSONEq(t, fieldsInput, string(got.Value))

	// Without snapshots, both read as null.
	ev.Reset([]byte(fieldsInput), nil, nil)
	for _, doc := range []int{abi.DocPrechange, abi.DocPostchange} {
		assert.Equal(t, probeResult{abi.FieldNull, 4, abi.FieldNotString, json.RawMessage(`null`), nil}, probe(t, e, &ev, doc, "", ""))
		assert.Equal(t, abi.FieldMissing, probe(t, e, &ev, doc, "/name", "").Type)
	}
}

// TestFieldReadsOfACallWithoutEvent: Call (input bytes alone) serves field
// reads from its input, and from null snapshots.
func TestFieldReadsOfACallWithoutEvent(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	m := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(`{"doc": 0, "path": "/data/tags/0/name"}`)})
	for range 3 { // the instance's own event is reset for every call
		out, err := m.Call(context.Background(), []byte(fieldsInput), nil)
		require.NoError(t, err)
		assert.Equal(t, `{"type":5,"read":3,"string":1,"value":"a","text":"a"}`, string(out))
	}
	out, err := m.Call(context.Background(), []byte(`{"data":{"tags":[{"name":"other"}]}}`), nil)
	require.NoError(t, err)
	assert.Equal(t, `{"type":5,"read":7,"string":5,"value":"other","text":"other"}`, string(out))
}

// TestFieldReadsShareOneIndexPerEvent: the calls of one event, running at
// once on several goroutines and instances, index each document at most
// once, and only the documents they look into (run under -race: the first
// caller builds while the others wait).
func TestFieldReadsShareOneIndexPerEvent(t *testing.T) {
	e := newEngine(t, runtime.Limits{PoolSize: 4}, nil)
	input := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(`{"doc": 0, "path": "/data/status/value"}`)})
	post := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(`{"doc": 3, "path": "/name"}`)})
	fixed := load(t, e, "fixed", runtime.ModuleOptions{})
	var ev runtime.Event
	for round := range 20 {
		ev.Reset([]byte(fieldsInput), []byte(`{"name": "Old"}`), []byte(fmt.Sprintf(`{"name": "New %d"}`, round)))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, want := input, `"active"`
				if g%2 == 1 {
					m, want = post, fmt.Sprintf(`"New %d"`, round)
				}
				out, err := m.CallEvent(context.Background(), time.Now(), &ev, nil)
				if assert.NoError(t, err) {
					var r probeResult
					require.NoError(t, json.Unmarshal(out, &r))
					assert.Equal(t, want, string(r.Value))
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, [3]int{1, 0, 1}, ev.Builds(), "input and postchange once each, prechange never")
	}
	ev.Reset([]byte(fieldsInput), nil, nil)
	_, err := fixed.CallEvent(context.Background(), time.Now(), &ev, nil)
	require.NoError(t, err)
	assert.Equal(t, [3]int{0, 0, 0}, ev.Builds(), "a call that looks nothing up indexes nothing")
}

// TestResetData: an event whose data is validated and indexed in one
// pass serves field reads of data from that index (no build of its own),
// reads elsewhere in the input from an index of the rest made on first
// use, and the whole input from the input; every answer the same as an
// event indexed whole gives. Invalid data is the validator's error.
func TestResetData(t *testing.T) {
	e := newEngine(t, runtime.Limits{}, nil)
	m := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(`{"doc": 0, "path": "/data/status/value"}`)})
	assert.True(t, m.ReadsFields())
	assert.False(t, load(t, e, "fixed", runtime.ModuleOptions{}).ReadsFields())
	input := []byte(fieldsInput)
	dataOff := bytes.Index(input, []byte(`"data":`)) + len(`"data":`)
	dataLen := bytes.Index(input, []byte("},\n \"request\"")) + 1 - dataOff
	var ev runtime.Event
	require.NoError(t, ev.ResetData(input, dataOff, dataLen, nil, nil), "data is %q", input[dataOff:dataOff+dataLen])
	out, err := m.CallEvent(context.Background(), time.Now(), &ev, nil)
	require.NoError(t, err)
	var r probeResult
	require.NoError(t, json.Unmarshal(out, &r))
	assert.Equal(t, `"active"`, string(r.Value))
	assert.Equal(t, [3]int{1, 0, 0}, ev.Builds(), "the index of the validation, and no other")

	var whole runtime.Event
	whole.Reset(input, nil, nil)
	for _, path := range []string{"/request/user", "/object_type", "/event_type", "/request", "/data", "/data/dup",
		"/data/a~1b", "/data/m~0n", "/data/z\u00fcrich", "/data/tags/1/name", "/datax", "/data~1x", "/dat", "/missing",
		"/data/missing", "/data/tags/9", "/request/user/x", "", "/~2", "data"} {
		assert.Equal(t, probe(t, e, &whole, abi.DocInput, path, ""), probe(t, e, &ev, abi.DocInput, path, ""), "%q", path)
	}
	assert.Equal(t, [3]int{2, 0, 0}, ev.Builds(), "data's index and the rest's, each once (\"\" needs none)")

	err = ev.ResetData([]byte(`{"data": {"a": tru},"request":null}`), 9, 10, nil, nil)
	var syntax *jsonraw.SyntaxError
	require.ErrorAs(t, err, &syntax, "invalid data")
	assert.Equal(t, 9, syntax.Offset, "the offset is data's (the input's would be 18)")
	assert.Equal(t, "null", string(probe(t, e, &ev, abi.DocInput, "/request", "").Value), "ev is as Reset leaves it")
	assert.Panics(t, func() { _ = ev.ResetData(input, dataOff, len(input), nil, nil) }, "a span outside the input")
}

// TestFieldConstantsMatchTheIndex: the ABI's types and statuses are the
// index's, which the host functions hand over as they are.
func TestFieldConstantsMatchTheIndex(t *testing.T) {
	assert.Equal(t,
		[]int32{abi.FieldNull, abi.FieldFalse, abi.FieldTrue, abi.FieldNumber, abi.FieldString, abi.FieldArray, abi.FieldObject, abi.FieldMissing, abi.FieldBadPath},
		[]int32{int32(jsonindex.Null), int32(jsonindex.False), int32(jsonindex.True), int32(jsonindex.Number), int32(jsonindex.String), int32(jsonindex.Array), int32(jsonindex.Object), int32(jsonindex.Missing), int32(jsonindex.BadPath)})
}
