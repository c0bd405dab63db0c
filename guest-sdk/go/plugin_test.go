//go:build !wasip1

// Run, which these tests use, exists only outside wasip1.

package wasmhook_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// The handler is global, as in a plugin: each test registers its own.

const event = `{"object_type":"dcim.site","event_type":"object_updated","data":` + dataEscaped + `,"request":null}`

func TestRunHandleObject(t *testing.T) {
	var ns string
	configured := 0
	wasmhook.Configure(func(cfg wasmhook.Value) error {
		configured++
		ns, _ = cfg.Get("namespace").String()
		return nil
	})
	defer wasmhook.Configure(nil)
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		if ns != "" {
			out.Nested(ns)
		}
		if !in.Get("event_type").Equals("object_updated") || !in.Get("request").IsNull() {
			return errors.New("bad input")
		}
		out.Raw("site_status", in.Data().Get("status", "value").Raw())
		n, _ := in.Data().Get("name").RuneCount()
		out.Int("name_len", int64(n))
		return nil
	})

	// A configuration no other test gives: Configure runs for it whatever
	// ran before (go test -shuffle).
	for range 3 {
		out, err := wasmhook.Run([]byte(event), []byte(`{"test":"RunHandleObject"}`))
		if err != nil || string(out) != `{"site_status":"act\"ive\\","name_len":15}` {
			t.Fatalf("Run = %s, %v", out, err)
		}
	}
	out, err := wasmhook.Run([]byte(" \n"+event+"\n"), []byte(`{"namespace":"g\u00e9o"}`))
	if err != nil || string(out) != `{"géo":{"site_status":"act\"ive\\","name_len":15}}` {
		t.Fatalf("Run with a namespace = %s, %v", out, err)
	}
	if configured != 2 {
		t.Errorf("Configure ran %d times, want once per configuration (2)", configured)
	}
	if cfg := wasmhook.Config(); string(cfg.Raw()) != `{"namespace":"g\u00e9o"}` {
		t.Errorf("Config() = %s", cfg.Raw())
	}
}

func TestRunHandle(t *testing.T) {
	tests := []struct {
		result any
		err    error
		out    string
		fail   string
	}{
		{result: nil, out: ""},
		{result: []byte(`{"a":1}`), out: `{"a":1}`},
		{result: json.RawMessage(`{"b":2}`), out: `{"b":2}`},
		{result: new(wasmhook.Object).Int("c", 3), out: `{"c":3}`},
		{result: map[string]any{"a": 1}, fail: "json.Marshal"},
		{result: "{}", fail: "json.Marshal"},
		{err: errors.New("no site"), fail: "no site"},
		{result: []byte(`{}`), err: errors.New("both"), fail: "both"},
	}
	for i, tt := range tests {
		wasmhook.Handle(func(*wasmhook.Input) (any, error) { return tt.result, tt.err })
		out, err := wasmhook.Run([]byte(event), nil)
		if tt.fail != "" {
			if err == nil || !strings.Contains(err.Error(), tt.fail) || out != nil {
				t.Errorf("%d: Run = %s, %v; want an error with %q", i, out, err, tt.fail)
			}
			continue
		}
		if err != nil || string(out) != tt.out {
			t.Errorf("%d: Run = %s, %v; want %s", i, out, err, tt.out)
		}
	}

	// The idiom for maps and structs: the plugin imports encoding/json.
	wasmhook.Handle(func(in *wasmhook.Input) (any, error) {
		return json.Marshal(map[string]any{"object_type": string(in.Get("object_type").Raw())})
	})
	if out, err := wasmhook.Run([]byte(event), nil); err != nil || string(out) != `{"object_type":"\"dcim.site\""}` {
		t.Errorf("json.Marshal result = %s, %v", out, err)
	}
}

func TestRunFailures(t *testing.T) {
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		out.String("partial", "dropped")
		var m map[string]int
		//lint:ignore SA5000 the test needs a real runtime panic inside the handler
		m["x"] = 1 // a nil map: panics
		return nil
	})
	out, err := wasmhook.Run([]byte(event), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "panic: assignment to entry in nil map") || out != nil {
		t.Errorf("panic: Run = %s, %v", out, err)
	}

	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		out.String("partial", "dropped")
		return errors.New("bad site")
	})
	if out, err := wasmhook.Run([]byte(event), nil); err == nil || err.Error() != "bad site" || out != nil {
		t.Errorf("error: Run = %s, %v", out, err)
	}

	wasmhook.Configure(func(cfg wasmhook.Value) error {
		if !cfg.Get("namespace").Exists() {
			return nil
		}
		if _, ok := cfg.Get("namespace").String(); !ok {
			return errors.New("namespace: not a string")
		}
		return nil
	})
	defer wasmhook.Configure(nil)
	wasmhook.HandleObject(func(*wasmhook.Input, *wasmhook.Object) error { return nil })
	for range 2 {
		if out, err := wasmhook.Run([]byte(event), []byte(`{"namespace":1}`)); err == nil || err.Error() != "namespace: not a string" {
			t.Errorf("bad configuration: Run = %s, %v", out, err)
		}
	}
	if out, err := wasmhook.Run([]byte(event), []byte(`{}`)); err != nil || string(out) != `{}` {
		t.Errorf("good configuration: Run = %s, %v", out, err)
	}
}

func TestRunNoAllocs(t *testing.T) {
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		data := in.Data()
		out.Raw("site_status", data.Get("status", "value").Raw())
		n, _ := data.Get("name").RuneCount()
		out.Int("name_len", int64(n))
		return nil
	})
	input := []byte(event)
	wasmhook.Run(input, nil)
	// Run copies its output for the test's sake: one allocation.
	if allocs := testing.AllocsPerRun(100, func() { wasmhook.Run(input, nil) }); allocs > 1 {
		t.Errorf("%v allocations per call, want 1 (Run's copy of the output)", allocs)
	}
}
