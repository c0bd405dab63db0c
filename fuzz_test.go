package wasmhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// FuzzEventJSON feeds arbitrary bytes as an event file. Whatever is
// accepted must give valid JSON input for callbacks and a valid payload
// that carries data byte for byte; whatever is refused must be refused with
// an error, never a panic.
func FuzzEventJSON(f *testing.F) {
	f.Add([]byte(`{"object_type": "dcim.site", "event_type": "object_updated", "data": {"id": 1}}`))
	f.Add([]byte(`{"object_type": "x", "event_type": "y", "data": [], "username": "\u00fc", "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "headers": {"Cookie": "x", "A": ["b", "c"]}}, "snapshots": {"prechange": null, "postchange": 1}}`))
	f.Add([]byte(`{"object_type": "x", "event_type": "y", "data": "\ud800"}`))
	e, err := wasmhook.New(context.Background(), wasmhook.Options{Logger: testmod.Logger(io.Discard)})
	if err != nil {
		f.Fatal(err)
	}
	e.Register("echo", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		return map[string]any{"seen": json.RawMessage(in.Data)}, nil
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev wasmhook.Event
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		res, err := e.Enrich(context.Background(), &ev)
		if err != nil {
			return // refused: fine, as long as it did not panic
		}
		in := abi.AppendInput(nil, &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
		if !json.Valid(in) || !utf8.Valid(in) {
			t.Fatalf("input is not valid JSON: %s", in)
		}
		if !json.Valid(res.Payload) {
			t.Fatalf("payload is not valid JSON: %s", res.Payload)
		}
		if !bytes.Contains(res.Payload, append([]byte(`"data": `), ev.Data...)) {
			t.Fatalf("data did not pass byte for byte: %s", res.Payload)
		}
		if len(res.Failed()) > 0 {
			t.Fatalf("a callback returning valid JSON failed: %v", res.Failed())
		}
	})
}

// FuzzPayload enriches a fixed event with two callbacks returning arbitrary
// bytes. The payload must always be valid JSON; an output is merged only
// when it is a valid, non-empty UTF-8 JSON object, and the merge must be
// Python's dict.update.
func FuzzPayload(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": 2}`), []byte(`{"b": 3, "c": {"d": [1, 2]}}`), "jstretch")
	f.Add([]byte(`[1]`), []byte(`{"a": 1, "a": 2}`), "")
	f.Add([]byte(`{"\u00fc": "\ud83d\ude00"}`), []byte("{\"x\": \"\xff\"}"), "Z\u00fcrich")
	f.Add([]byte(`null`), []byte(`{}`), "<>&")
	// A number beyond float64's range is valid JSON, merged as written.
	f.Add([]byte(`{"":8,"":1`+strings.Repeat("9", 400)+`}`), []byte(`{"n":-1e999}`), "")
	e, err := wasmhook.New(context.Background(), wasmhook.Options{Logger: testmod.Logger(io.Discard)})
	if err != nil {
		f.Fatal(err)
	}
	var first, second []byte
	e.Register("first", func(context.Context, *wasmhook.Input) (any, error) { return json.RawMessage(first), nil })
	e.Register("second", func(context.Context, *wasmhook.Input) (any, error) { return json.RawMessage(second), nil })
	f.Fuzz(func(t *testing.T, a, b []byte, username string) {
		first, second = a, b
		ev := siteEvent
		ev.Username = username
		res, err := e.Enrich(context.Background(), &ev)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(res.Payload) {
			t.Fatalf("payload is not valid JSON: %q", res.Payload)
		}
		if !isASCIIEnvelope(res.Payload, ev.Data) {
			t.Fatalf("the envelope is not ASCII: %q", res.Payload)
		}
		want := map[string]any{}
		for i, out := range [][]byte{a, b} {
			var obj map[string]any
			merged := utf8.Valid(out) && unmarshalNumbers(out, &obj) == nil && obj != nil && bytes.HasPrefix(bytes.TrimSpace(out), []byte("{"))
			if merged && nestingDepth(out) <= 1000 {
				for k, v := range obj {
					want[k] = v
				}
			} else if res.Reports[i].Err == nil && len(bytes.TrimSpace(out)) > 0 && !isFalsy(out) {
				t.Fatalf("output %q was neither merged nor reported", out)
			}
		}
		var got struct{ Context map[string]any }
		if err := unmarshalNumbers(res.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			if got.Context != nil {
				t.Fatalf("context present for no contribution: %s", res.Payload)
			}
			return
		}
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got.Context)
		if !bytes.Equal(wantJSON, gotJSON) {
			t.Fatalf("context %s, want %s", gotJSON, wantJSON)
		}
	})
}

// unmarshalNumbers is json.Unmarshal with numbers kept as written
// (json.Number): a valid number beyond float64's range, which
// json.Unmarshal refuses, is valid JSON that the merge takes as it is.
func unmarshalNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the value: %v", err)
	}
	return nil
}

// isASCIIEnvelope reports whether the payload is ASCII outside data and
// context, whose bytes are the callers' and callbacks' own.
func isASCIIEnvelope(payload, data []byte) bool {
	head, _, _ := bytes.Cut(payload, data)
	for _, c := range head {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func isFalsy(b []byte) bool {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func nestingDepth(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}
