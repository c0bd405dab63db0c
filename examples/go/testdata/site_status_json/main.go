// Command site_status_json is a test module for ../../go_guest_test.go. It
// is site_status written the usual way, decoding with encoding/json and
// returning json.Marshal's output through wasmhook.Handle, so that the
// test can compare it with the SDK's fast path (../../site_status) and
// check that a Go guest allocating on every event keeps a stable memory.
// It also exercises the SDK's wasip1 layer on a few event types:
//
//	fail   the handler returns an error (error_set, status 1)
//	panic  the handler panics (recovered: error_set, status 1)
//	log    one Log line per level, then {"logged":4}
//	keys   data is an array of strings: an Object with each as a key, in
//	       order, the i-th holding i, the last one's value an object that
//	       holds it again (in wasm, Object reads a short key as the word
//	       that ends with it: native tests do not run that load)
//
// Unlike site_status, it escapes <, > and & in the copied token and the
// control characters of a namespace by encoding/json's rules.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o site_status_json.wasm .
package main

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

var (
	namespace string
	nested    bool
)

func init() {
	wasmhook.Configure(func(cfg wasmhook.Value) error {
		namespace, nested = cfg.Get("namespace").String()
		return nil
	})
	wasmhook.Handle(handle)
}

type object map[string]json.RawMessage

type result struct {
	SiteStatus json.RawMessage `json:"site_status,omitempty"`
	NameLen    *int            `json:"name_len,omitempty"`
}

func members(raw json.RawMessage) object {
	var o object
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return o
}

func handle(in *wasmhook.Input) (any, error) {
	var event object
	if err := json.Unmarshal(in.Raw(), &event); err != nil {
		return nil, err
	}
	switch string(event["event_type"]) {
	case `"fail"`:
		return nil, errors.New("site_status_json: asked to fail")
	case `"panic"`:
		var m map[string]int
		m["x"]++
	case `"log"`:
		wasmhook.Log(wasmhook.LevelDebug, "debug line")
		wasmhook.Log(wasmhook.LevelInfo, "info line")
		wasmhook.Log(wasmhook.LevelWarn, "warn line")
		wasmhook.Log(wasmhook.LevelError, "error line")
		return []byte(`{"logged":4}`), nil
	case `"keys"`:
		var keys []string
		if err := json.Unmarshal(event["data"], &keys); err != nil {
			return nil, err
		}
		var o wasmhook.Object
		for i, k := range keys {
			if i == len(keys)-1 {
				o.Nested(k).Int(k, int64(i)).End()
			} else {
				o.Int(k, int64(i))
			}
		}
		return &o, nil
	}

	data := members(event["data"])
	var r result
	if v := members(data["status"])["value"]; len(v) > 0 && v[0] == '"' {
		r.SiteStatus = v
	}
	if raw := data["name"]; len(raw) > 0 && raw[0] == '"' {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return nil, err
		}
		n := utf8.RuneCountInString(name)
		r.NameLen = &n
	}
	if nested {
		return json.Marshal(map[string]result{namespace: r})
	}
	return json.Marshal(r)
}

func main() {}
