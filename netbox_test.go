package wasmhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// vector is testdata/netbox/signature-vector.txt: a body NetBox sent, its
// length and its signature under the secret "s3cr3t".
type vector struct {
	body      []byte
	length    int
	signature string
}

func readVector(t *testing.T) vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/netbox/signature-vector.txt")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	require.Len(t, lines, 3)
	n, err := strconv.Atoi(lines[1])
	require.NoError(t, err)
	return vector{body: []byte(lines[0]), length: n, signature: lines[2]}
}

func TestSignMatchesNetBoxVector(t *testing.T) {
	v := readVector(t)
	require.Len(t, v.body, v.length)
	assert.Equal(t, v.signature, wasmhook.Sign("s3cr3t", v.body))
	assert.True(t, wasmhook.Verify("s3cr3t", v.body, v.signature))
	assert.True(t, wasmhook.Verify("s3cr3t", v.body, strings.ToUpper(v.signature)))
	assert.False(t, wasmhook.Verify("s3cr3t!", v.body, v.signature))
	assert.False(t, wasmhook.Verify("s3cr3t", append(v.body, ' '), v.signature))
	assert.False(t, wasmhook.Verify("s3cr3t", v.body, "not hex"))
}

// TestPayloadMatchesNetBoxVector rebuilds NetBox's body byte for byte from
// its parts: the envelope format, the key order, the timestamp, the request
// and the context a callback returned.
func TestPayloadMatchesNetBoxVector(t *testing.T) {
	v := readVector(t)
	var sent struct {
		Event      string          `json:"event"`
		Timestamp  string          `json:"timestamp"`
		ObjectType string          `json:"object_type"`
		Username   string          `json:"username"`
		RequestID  string          `json:"request_id"`
		Data       json.RawMessage `json:"data"`
		Request    struct {
			ID, Method, Path, User string
		} `json:"request"`
		Snapshots struct {
			Prechange  json.RawMessage `json:"prechange"`
			Postchange json.RawMessage `json:"postchange"`
		} `json:"snapshots"`
		Context json.RawMessage `json:"context"`
	}
	require.NoError(t, json.Unmarshal(v.body, &sent))
	ts, err := time.Parse("2006-01-02T15:04:05.999999-07:00", sent.Timestamp)
	require.NoError(t, err)

	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{})
	require.NoError(t, err)
	defer e.Close(ctx)
	require.NoError(t, e.Register("branching", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		return json.RawMessage(sent.Context), nil
	}))

	res, err := e.Enrich(ctx, &wasmhook.Event{
		ObjectType: sent.ObjectType,
		EventType:  "object_updated",
		Data:       sent.Data,
		Timestamp:  ts,
		Username:   sent.Username,
		Request: &wasmhook.Request{
			ID:     uuid.MustParse(sent.Request.ID),
			Method: sent.Request.Method,
			Path:   sent.Request.Path,
			User:   sent.Request.User,
		},
		Snapshots: &wasmhook.Snapshots{Prechange: sent.Snapshots.Prechange, Postchange: sent.Snapshots.Postchange},
	})
	require.NoError(t, err)
	assert.Equal(t, string(v.body), string(res.Payload))
	assert.Equal(t, v.signature, wasmhook.Sign("s3cr3t", res.Payload))
}

func TestEventName(t *testing.T) {
	for raw, want := range map[string]string{
		"object_created": "created",
		"object_updated": "updated",
		"object_deleted": "deleted",
		"job_started":    "job_started",
		"job_completed":  "job_ended",
		"job_failed":     "job_ended",
		"job_errored":    "job_ended",
		"plugin_thing":   "plugin_thing",
	} {
		assert.Equal(t, want, wasmhook.EventName(raw), raw)
	}
}

func TestTimestampFormat(t *testing.T) {
	ts := time.Date(2026, 3, 6, 16, 11, 23, 503186999, time.FixedZone("CET", 3600))
	assert.Equal(t, "2026-03-06T15:11:23.503186+00:00", wasmhook.FormatTimestamp(ts))
	assert.Equal(t, "2026-01-02T03:04:05.000000+00:00", wasmhook.FormatTimestamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))

	// The hand-written digits agree with time's layout everywhere,
	// including the years four digits cannot hold.
	rng := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), {}}
	for range 10000 {
		times = append(times, time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)).In(time.FixedZone("", rng.IntN(100000)-50000)))
	}
	for _, ts := range times {
		assert.Equal(t, ts.UTC().Format("2006-01-02T15:04:05.000000")+"+00:00", wasmhook.FormatTimestamp(ts))
	}
}

// keysOf returns the top-level keys of a JSON object in order.
func keysOf(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func newEnricher(t testing.TB, opts wasmhook.Options) *wasmhook.Enricher {
	t.Helper()
	ctx := context.Background()
	if opts.Logger == nil {
		opts.Logger = testmod.Logger(io.Discard)
	}
	if opts.CompilationCacheDir == "" {
		opts.CompilationCacheDir = compilationCache
	}
	if opts.Limits.Timeout == 0 {
		// Tests that are not about time limits must not fail on a machine
		// loaded enough to starve a good module of CPU for 200 ms.
		opts.Limits.Timeout = 10 * time.Second
	}
	e, err := wasmhook.New(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(ctx)) })
	return e
}

func returns(v any) wasmhook.CallbackFunc {
	return func(context.Context, *wasmhook.Input) (any, error) { return v, nil }
}

var siteEvent = wasmhook.Event{
	ObjectType: "dcim.site",
	EventType:  "object_created",
	Data:       json.RawMessage(`{"id": 4, "name": "Z\u00fcrich <1>", "status": {"value": "active", "label": "Active"}, "latitude": 47.3769000}`),
	Timestamp:  time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC),
	Username:   "jstretch",
}

func TestPayloadKeysAndOptionalParts(t *testing.T) {
	ctx := context.Background()
	e := newEnricher(t, wasmhook.Options{})

	// No request, no snapshots, no callbacks: no request, snapshots or context key.
	ev := siteEvent
	res, err := e.Enrich(ctx, &ev)
	require.NoError(t, err)
	assert.Equal(t, []string{"event", "timestamp", "object_type", "username", "request_id", "data"}, keysOf(t, res.Payload))
	assert.Contains(t, string(res.Payload), `"event": "created"`)
	assert.Contains(t, string(res.Payload), `"request_id": null`)
	// data's bytes pass unchanged: escapes and number text are kept.
	assert.Contains(t, string(res.Payload), `"data": `+string(siteEvent.Data)+`}`)

	ev.Request = &wasmhook.Request{ID: uuid.MustParse("17AF32F0-852A-46CA-A7D4-33ECD0C13DE6"), Method: "POST", Path: "/api/dcim/sites/", User: "jstretch"}
	ev.Snapshots = &wasmhook.Snapshots{Postchange: json.RawMessage(`{"name": "x"}`)}
	ev.Username = ""
	require.NoError(t, e.Register("cb", returns(map[string]any{"k": 1})))
	res, err = e.Enrich(ctx, &ev)
	require.NoError(t, err)
	assert.Equal(t, []string{"event", "timestamp", "object_type", "username", "request_id", "data", "request", "snapshots", "context"}, keysOf(t, res.Payload))
	s := string(res.Payload)
	assert.Contains(t, s, `"username": null`)
	assert.Contains(t, s, `"request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6"`)
	assert.Contains(t, s, `"request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "jstretch"}`)
	assert.Contains(t, s, `"snapshots": {"prechange": null, "postchange": {"name": "x"}}`)
	assert.True(t, strings.HasSuffix(s, `, "context": {"k": 1}}`), s)
}

func TestMergeIsShallowLaterWinsFirstPositionKept(t *testing.T) {
	ctx := context.Background()
	e := newEnricher(t, wasmhook.Options{})
	require.NoError(t, e.Register("first", returns(json.RawMessage(`{"a": {"x": 1}, "b": 2}`))))
	require.NoError(t, e.Register("empty", returns(nil)))
	require.NoError(t, e.Register("second", returns(json.RawMessage(`{"b": 3, "c": 4, "a": {"y": 2}}`))))
	res, err := e.Enrich(ctx, &siteEvent)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(res.Payload), `"context": {"a": {"y": 2}, "b": 3, "c": 4}}`), string(res.Payload))
	for _, rep := range res.Reports {
		assert.NoError(t, rep.Err, rep.Callback)
	}
}

func TestFalsyResultsAddNoContext(t *testing.T) {
	ctx := context.Background()
	e := newEnricher(t, wasmhook.Options{})
	for i, v := range []string{`null`, `{}`, `[]`, `""`, `0`, `false`, ` `} {
		require.NoError(t, e.Register("falsy"+strconv.Itoa(i), returns(json.RawMessage(v))))
	}
	res, err := e.Enrich(ctx, &siteEvent)
	require.NoError(t, err)
	assert.NotContains(t, string(res.Payload), `"context"`)
	assert.Empty(t, res.Failed())

	// {"active_branch": null} is a non-empty map: it makes a context.
	require.NoError(t, e.Register("branch", returns(json.RawMessage(`{"active_branch": null}`))))
	res, err = e.Enrich(ctx, &siteEvent)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(res.Payload), `"context": {"active_branch": null}}`))
}

func TestFailingCallbackIsDroppedOthersStay(t *testing.T) {
	ctx := context.Background()
	var logs testmod.LogBuffer
	e := newEnricher(t, wasmhook.Options{Logger: testmod.Logger(&logs)})
	require.NoError(t, e.Register("before", returns(map[string]int{"before": 1})))
	require.NoError(t, e.Register("fails", func(context.Context, *wasmhook.Input) (any, error) {
		return nil, errors.New("database is down")
	}))
	require.NoError(t, e.Register("panics", func(context.Context, *wasmhook.Input) (any, error) { panic("oops") }))
	require.NoError(t, e.Register("array", returns([]int{1})))
	require.NoError(t, e.Register("after", returns(map[string]int{"after": 2})))

	res, err := e.Enrich(ctx, &siteEvent)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(res.Payload), `"context": {"before": 1, "after": 2}}`), string(res.Payload))
	require.Len(t, res.Reports, 5)
	assert.ErrorIs(t, res.Reports[1].Err, wasmhook.ErrGuest)
	assert.ErrorContains(t, res.Reports[1].Err, "database is down")
	assert.ErrorIs(t, res.Reports[2].Err, wasmhook.ErrGuest)
	assert.ErrorContains(t, res.Reports[2].Err, "panic: oops")
	assert.ErrorIs(t, res.Reports[3].Err, wasmhook.ErrOutputNotObject)
	var ce *wasmhook.CallError
	require.ErrorAs(t, res.Reports[3].Err, &ce)
	assert.Equal(t, "array", ce.Callback)
	assert.Len(t, res.Failed(), 3)
	for _, name := range []string{"fails", "panics", "array"} {
		assert.Contains(t, logs.String(), "callback="+name)
	}
}

// TestInvalidEvents: an event Enrich cannot use is refused with the
// field at fault, the same error whether data is validated alone or,
// when a module reads fields, in the pass that indexes it (where what
// follows data in the input must not make bad data look whole).
func TestInvalidEvents(t *testing.T) {
	ctx := context.Background()
	plain := newEnricher(t, wasmhook.Options{})
	reads := newEnricher(t, wasmhook.Options{Dir: modulesDir(t, map[string]string{"10-probe": "field_probe"}),
		Modules: map[string]wasmhook.ModuleSettings{"10-probe": {Config: []byte(`{"doc": 0, "path": "/data/id"}`)}}})
	good := siteEvent
	cases := map[string]func(ev *wasmhook.Event){
		"data is not JSON": func(ev *wasmhook.Event) { ev.Data = json.RawMessage(`{"id": 4`) },
		"data is not JSON: offset 1: invalid character after top-level value":  func(ev *wasmhook.Event) { ev.Data = json.RawMessage(`1,"request":null,"x":{"id": 4}`) },
		"data is not JSON: offset 10: invalid character after top-level value": func(ev *wasmhook.Event) { ev.Data = json.RawMessage(`{"id": 4} x`) },
		"data is not JSON: offset 2: invalid character after top-level value":  func(ev *wasmhook.Event) { ev.Data = json.RawMessage(`{},"data":{"id": 4}`) },
		"data is not JSON: offset 8: unexpected end":                           func(ev *wasmhook.Event) { ev.Data = json.RawMessage(`{"id": "`) },
		"data is missing":      func(ev *wasmhook.Event) { ev.Data = nil },
		"object_type is empty": func(ev *wasmhook.Event) { ev.ObjectType = "" },
		"event_type is empty":  func(ev *wasmhook.Event) { ev.EventType = "" },
		"snapshots.prechange is not JSON": func(ev *wasmhook.Event) {
			ev.Snapshots = &wasmhook.Snapshots{Prechange: json.RawMessage(`nope`)}
		},
		"data is not UTF-8": func(ev *wasmhook.Event) { ev.Data = json.RawMessage("\"\xff\"") },
		// A request without an id would be sent as the all-zero UUID.
		"request.id is missing": func(ev *wasmhook.Event) { ev.Request = &wasmhook.Request{Method: "PATCH", Path: "/api/dcim/sites/4/"} },
	}
	for want, mutate := range cases {
		ev := good
		mutate(&ev)
		_, err := plain.Enrich(ctx, &ev)
		assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent, want)
		assert.ErrorContains(t, err, want)
		_, rerr := reads.Enrich(ctx, &ev)
		assert.Equal(t, err, rerr, "with a module that reads fields: %s", want)
	}
	for _, e := range []*wasmhook.Enricher{plain, reads} {
		_, err := e.Enrich(ctx, nil)
		assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent)
	}
	// White space around data is data's own: the field is read.
	ev := good
	ev.Data = json.RawMessage(" \n {\"id\": 4}\t ")
	res, err := reads.Enrich(ctx, &ev)
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	assert.Equal(t, map[string]any{"type": 4.0, "read": 1.0, "string": -2.0, "value": 4.0}, testmod.ContextOf(t, res.Payload))
}

func TestDuplicateNamesAndClose(t *testing.T) {
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{})
	require.NoError(t, err)
	require.NoError(t, e.Register("x", returns(nil)))
	assert.ErrorIs(t, e.Register("x", returns(nil)), wasmhook.ErrDuplicate)
	assert.Equal(t, []wasmhook.CallbackInfo{{Name: "x", Kind: "go"}}, e.Callbacks())
	require.NoError(t, e.Close(ctx))
	_, err = e.Enrich(ctx, &siteEvent)
	assert.ErrorIs(t, err, wasmhook.ErrClosed)
	assert.ErrorIs(t, e.Register("y", returns(nil)), wasmhook.ErrClosed)
}

// TestParseNetBoxBodyRoundTrip: a body NetBox posted, read back as an
// event and enriched with no callbacks, is the same body byte for byte:
// NetBox's own callbacks' context is kept. Callbacks merge after it, and
// one that overwrites a key of it is reported against the event's own
// context.
func TestParseNetBoxBodyRoundTrip(t *testing.T) {
	v := readVector(t)
	ev, err := wasmhook.ParseNetBoxBody(v.body)
	require.NoError(t, err)
	assert.Equal(t, "object_updated", ev.EventType)
	assert.Equal(t, "dcim.site", ev.ObjectType)
	assert.JSONEq(t, `{"active_branch": null}`, string(ev.Context))

	e := newEnricher(t, wasmhook.Options{})
	res, err := e.Enrich(context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, string(v.body), string(res.Payload))
	assert.Equal(t, v.signature, wasmhook.Sign("s3cr3t", res.Payload))

	require.NoError(t, e.Register("relay", returns(json.RawMessage(`{"relay": true, "active_branch": "main"}`))))
	res, err = e.Enrich(context.Background(), ev)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(res.Payload), `"context": {"active_branch": "main", "relay": true}}`), string(res.Payload))
	assert.Equal(t, []wasmhook.Overwrite{{Key: "active_branch", Callback: ""}}, res.Reports[0].Overwrote)

	for body, want := range map[string]string{
		`[1]`:                  "want",
		`null`:                 "not null",
		`{"event": "created"}`: `no "object_type"`,
		`{"event": "created", "object_type": "dcim.site", "data": {}, "extra": 1}`:     `unknown key "extra"`,
		`{"event": "created", "object_type": "dcim.site", "data": {}, "context": [1]}`: "context is not a JSON object",
	} {
		ev, err := wasmhook.ParseNetBoxBody([]byte(body))
		if err == nil {
			_, err = e.Enrich(context.Background(), ev)
		}
		assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent, body)
		assert.ErrorContains(t, err, want, body)
	}
}

// TestParseEvent: either form is told by its keys and read like its own
// parser reads it; a body that is neither, or not JSON, says so.
func TestParseEvent(t *testing.T) {
	v := readVector(t)
	nb, err := wasmhook.ParseNetBoxBody(v.body)
	require.NoError(t, err)
	got, err := wasmhook.ParseEvent(v.body)
	require.NoError(t, err)
	assert.Equal(t, nb, got)

	w1, err := os.ReadFile("testdata/w1/event.json")
	require.NoError(t, err)
	var ev wasmhook.Event
	require.NoError(t, json.Unmarshal(w1, &ev))
	require.NotNil(t, ev.Request)
	require.NotNil(t, ev.Snapshots)
	got, err = wasmhook.ParseEvent(w1)
	require.NoError(t, err)
	assert.Equal(t, &ev, got)

	_, err = wasmhook.ParseEvent([]byte(`{"object_type": "dcim.site", "data": {}}`))
	assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent)
	assert.ErrorContains(t, err, "neither")

	_, err = wasmhook.ParseEvent([]byte(`{"event": "created",`))
	var se *json.SyntaxError
	assert.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent)

	_, err = wasmhook.ParseEvent([]byte("{\"event\": \"created\", \"object_type\": \"dcim.site\", \"data\": {\"name\": \"\xff\"}}"))
	assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent)
	assert.ErrorContains(t, err, "UTF-8")
	assert.False(t, errors.As(err, &se), "invalid UTF-8 is JSON's syntax, not an invalid event: %v", err)

	for body, want := range map[string]string{
		`{"object_type": "dcim.site", "event_type": "object_created", "data": {}, "context": {}}`: `unknown key "context"`,
		`{"object_type": 4, "event_type": "object_created", "data": {}}`:                          "object_type: want a string or null, not a number",
		`{"object_type": "dcim.site", "event_type": "object_created", "snapshots": [1]}`:          "snapshots: want an object, not an array",
		`{"object_type": "dcim.site", "event_type": "object_created", "snapshots": {"after": 1}}`: `snapshots: unknown key "after"`,
		`{"event": "created", "object_type": "dcim.site", "request_id": "nope"}`:                  "request_id: invalid UUID",
		`{"object_type": "d\u0063im.site", "event_type": "object_created", "data": {}}`:           "",
	} {
		ev, err := wasmhook.ParseEvent([]byte(body))
		if want == "" {
			require.NoError(t, err, body)
			assert.Equal(t, "dcim.site", ev.ObjectType, "an escaped string is decoded")
			continue
		}
		assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent, body)
		assert.ErrorContains(t, err, want, body)
	}
}
