package abi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
)

func TestAppendInput(t *testing.T) {
	in := &abi.Input{
		ObjectType: "dcim.site",
		EventType:  "object_updated",
		Data:       []byte(`{"name": "Z\u00fcrich", "n": 1.50}`),
	}
	got := abi.AppendInput([]byte("prefix:"), in, nil)
	assert.Equal(t, `prefix:{"object_type":"dcim.site","event_type":"object_updated","data":{"name": "Z\u00fcrich", "n": 1.50},"request":null}`, string(got),
		"data's bytes are copied as they are")

	in.Request = &abi.Request{
		ID:     uuid.MustParse("17AF32F0-852A-46CA-A7D4-33ECD0C13DE6"),
		Method: "PATCH", Path: "/api/dcim/sites/4/", User: `j"stretch`,
		Header: http.Header{
			"Authorization":       {"Token x"},
			"Cookie":              {"sessionid=x"},
			"Proxy-Authorization": {"Basic x"},
			"X-Internal":          {"x"},
			"X-Forwarded-For":     {"10.0.0.1", "10.0.0.2"},
			"Accept":              {"application/json"},
		},
	}
	got = abi.AppendInput(nil, in, func(name string) bool { return name != "X-Internal" })
	var parsed struct {
		Request struct {
			ID, Method, Path, User string
			Headers                map[string]string
		}
	}
	require.NoError(t, json.Unmarshal(got, &parsed), string(got))
	assert.Equal(t, "17af32f0-852a-46ca-a7d4-33ecd0c13de6", parsed.Request.ID)
	assert.Equal(t, `j"stretch`, parsed.Request.User)
	assert.Equal(t, map[string]string{"accept": "application/json", "x-forwarded-for": "10.0.0.1, 10.0.0.2"}, parsed.Request.Headers)
	assert.Contains(t, string(got), `"headers":{"accept":"application/json","x-forwarded-for":"10.0.0.1, 10.0.0.2"}`, "headers are sorted")

	// Only credentials: no headers member at all, whatever the case of
	// their names (a host may fill the map without canonical keys).
	in.Request.Header = http.Header{"Cookie": {"x"}, "authorization": {"x"}, "PROXY-AUTHORIZATION": {"x"}, "cOOKIE": {"y"}}
	assert.NotContains(t, string(abi.AppendInput(nil, in, nil)), "headers")
	// Many headers (more than fit the sort's buffer), and names net/http
	// would not produce, lowercased and escaped.
	many := http.Header{`X "Quoted"`: {"q"}, "B-Odd\tName": {"t"}}
	for i := 0; i < 40; i++ {
		many[fmt.Sprintf("X-H%02d", 39-i)] = []string{fmt.Sprint(i)}
	}
	in.Request.Header = many
	var headers []string
	dec := json.NewDecoder(bytes.NewReader(abi.AppendInput(nil, in, nil)))
	var raw struct {
		Request struct{ Headers json.RawMessage }
	}
	require.NoError(t, dec.Decode(&raw))
	tok := json.NewDecoder(bytes.NewReader(raw.Request.Headers))
	_, err := tok.Token() // {
	require.NoError(t, err)
	for tok.More() {
		k, err := tok.Token()
		require.NoError(t, err)
		headers = append(headers, k.(string))
		_, err = tok.Token()
		require.NoError(t, err)
	}
	require.Len(t, headers, 42)
	assert.True(t, slices.IsSorted(headers), "sorted: %q", headers)
	assert.Equal(t, "b-odd\tname", headers[0])
	assert.Equal(t, `x "quoted"`, headers[1])
	assert.Equal(t, "x-h00", headers[2])

	// A name that only looks like a credential is passed.
	in.Request.Header = http.Header{"Authorization2": {"x"}, "Cookies": {"y"}}
	assert.Contains(t, string(abi.AppendInput(nil, in, nil)), `"headers":{"authorization2":"x","cookies":"y"}`)
}

func TestErrorsMatchTheirKind(t *testing.T) {
	kinds := []error{abi.ErrBadModule, abi.ErrABIMismatch, abi.ErrTrap, abi.ErrTimeout, abi.ErrMemoryLimit,
		abi.ErrOutputTooLarge, abi.ErrOutputNotJSON, abi.ErrOutputNotObject, abi.ErrOutputNotUTF8, abi.ErrGuest}
	for _, kind := range kinds {
		var err error = abi.NewCallError("cb", kind, "detail", context.DeadlineExceeded)
		for _, other := range kinds {
			assert.Equal(t, kind == other, errors.Is(err, other), "%v is %v", kind, other)
		}
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the underlying error is kept")
		assert.Equal(t, "callback cb: "+kind.Error()+": detail", err.Error())
	}
	le := &abi.LoadError{File: "plugins/10-geo.wasm", Symbol: "env.abort", Kind: abi.ErrBadModule, Reason: "not allowed"}
	assert.ErrorIs(t, le, abi.ErrBadModule)
	assert.NotErrorIs(t, le, abi.ErrABIMismatch)
	assert.Equal(t, "load plugins/10-geo.wasm: bad module: env.abort: not allowed", le.Error())
}

func TestAppendUUIDMatchesString(t *testing.T) {
	for range 1000 {
		id := uuid.New()
		assert.Equal(t, "x"+id.String(), string(abi.AppendUUID([]byte("x"), id)))
	}
	assert.Equal(t, "00000000-0000-0000-0000-000000000000", string(abi.AppendUUID(nil, uuid.Nil)))
}

// BenchmarkAppendInput builds W1's input: a 1.6 KB site and a request
// with three headers, one of them a credential.
func BenchmarkAppendInput(b *testing.B) {
	in := &abi.Input{
		ObjectType: "dcim.site",
		EventType:  "object_updated",
		Data:       []byte(`{"id": 24, "name": "Z\u00fcrich-Altstetten DC1", "status": {"value": "active", "label": "Active"}}`),
		Request: &abi.Request{
			ID:     uuid.MustParse("5c8e2a0b-7d3f-4e61-9a2c-0f1b3d4e5a6c"),
			Method: "PATCH", Path: "/api/dcim/sites/24/", User: "jstretch",
			Header: http.Header{
				"User-Agent":    {"pynetbox/7.4.1"},
				"Content-Type":  {"application/json"},
				"Authorization": {"Token 0123456789abcdef0123456789abcdef01234567"},
			},
		},
	}
	for name, pass := range map[string]abi.HeaderFilter{
		"filter=nil": nil,
		"filter=one": func(name string) bool { return name != "X-Internal" },
	} {
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				dst = abi.AppendInput(dst[:0], in, pass)
			}
		})
	}
}

// TestAppendInputJoinsNamesDifferingInCase: an http.Header filled without
// canonical keys can hold one header under several spellings; the input
// has it once, its values in a stable order: the canonical spelling's,
// then the others' in byte order of their names.
func TestAppendInputJoinsNamesDifferingInCase(t *testing.T) {
	in := &abi.Input{ObjectType: "dcim.site", EventType: "object_updated", Data: []byte(`{}`), Request: &abi.Request{}}
	cases := []struct {
		header http.Header
		pass   abi.HeaderFilter
		want   string
	}{
		{http.Header{"x-lower": {"b"}, "X-Lower": {"a"}}, nil, `"headers":{"x-lower":"a, b"}`},
		{http.Header{"x-lower": {"c"}, "X-LOWER": {"b"}, "X-Lower": {"a1", "a2"}, "Accept": {"*/*"}, "x-LoweR": {"d"}}, nil,
			`"headers":{"accept":"*/*","x-lower":"a1, a2, b, d, c"}`},
		{http.Header{"x-b": {"2"}, "X-B": {"1"}, "x-a": {"1"}, "X-C": {"1"}, "x-c": {"2"}}, nil,
			`"headers":{"x-a":"1","x-b":"1, 2","x-c":"1, 2"}`},
		// No canonical spelling: byte order.
		{http.Header{"x-lower": {"b"}, "X-LOWER": {"a"}}, nil, `"headers":{"x-lower":"a, b"}`},
		// Credentials and filtered headers go in every spelling.
		{http.Header{"authorization": {"s"}, "Authorization": {"s"}, "x-key": {"s"}, "X-Key": {"s"}, "a": {"1"}, "A": {"0"}},
			func(name string) bool { return name != "X-Key" }, `"headers":{"a":"0, 1"}`},
	}
	// More names than the sort's buffer holds take the other sort.
	many := http.Header{"X-Dup": {"canonical"}, "x-dup": {"lower"}, "X-DUP": {"upper"}}
	want := `"headers":{"x-dup":"canonical, upper, lower"`
	for i := range 20 {
		many[fmt.Sprintf("X-H%02d", i)] = []string{fmt.Sprint(i)}
		want += fmt.Sprintf(`,"x-h%02d":"%d"`, i, i)
	}
	cases = append(cases, struct {
		header http.Header
		pass   abi.HeaderFilter
		want   string
	}{many, nil, want + "}"})

	for _, tc := range cases {
		in.Request.Header = tc.header
		for range 50 { // map iteration order changes from run to run
			got := string(abi.AppendInput(nil, in, tc.pass))
			require.Contains(t, got, tc.want+"}}")
			require.True(t, json.Valid([]byte(got)))
		}
	}
}

func TestRequestFiltered(t *testing.T) {
	r := &abi.Request{ID: uuid.New(), Method: "PATCH", User: "u", Header: http.Header{"Accept": {"*/*"}, "X-Key": {"k"}}}
	var buf abi.Request
	assert.Same(t, r, r.Filtered(nil, &buf), "nothing to drop: r itself")
	got := r.Filtered(func(name string) bool { return name != "X-Key" }, &buf)
	assert.Same(t, &buf, got)
	assert.Equal(t, abi.Request{ID: r.ID, Method: "PATCH", User: "u", Header: http.Header{"Accept": {"*/*"}}}, buf)

	r.Header = http.Header{"authorization": {"s"}, "COOKIE": {"s"}, "Proxy-Authorization": {"s"}, "X-Other": {"o"}}
	got = r.Filtered(nil, &buf)
	assert.Equal(t, http.Header{"X-Other": {"o"}}, got.Header, "the map is reused and cleared")
	assert.Len(t, r.Header, 4, "r is left as it is")
}
