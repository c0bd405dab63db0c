package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	extism "github.com/extism/go-sdk"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
)

// Paths relative to the bench directory (go run . and go test . run there).
const (
	w1Event           = "../testdata/w1/event.json"
	w1ExpectedContext = "../testdata/w1/expected-context.json"
	wasmhookGuests    = "guests/wasmhook"
	extismGuests      = "guests/extism"
)

// callbackNames are W1's callbacks in load (and merge) order.
var callbackNames = []string{"cb1", "cb2", "cb3"}

// loadW1 reads workload W1's event the way wasmhook's users do
// (Event.UnmarshalJSON).
func loadW1(path string) (*wasmhook.Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ev := new(wasmhook.Event)
	if err := json.Unmarshal(b, ev); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ev, nil
}

// A system turns one event into one webhook payload.
type system interface {
	// enrich returns the payload of ev. The returned bytes may be reused
	// by the next call.
	enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error)
	close(ctx context.Context) error
}

// callTimeout is the time limit per call of wasmhook and of the Extism
// row with a limit. It is longer than wasmhook's default (200 ms) only so
// that a stall of the shared machine cannot abort a run (calls of 15 µs
// were seen to take 36 ms, and once over 200 ms, on a loaded 2-vCPU VM):
// what a call costs does not depend on the value, the same timer and
// termination checks run either way.
const callTimeout = 5 * time.Second

// wasmhookSystem is wasmhook itself: New on the C reactors of
// guests/wasmhook, Enrich per event.
type wasmhookSystem struct{ e *wasmhook.Enricher }

func newWasmhook(ctx context.Context, dir string) (*wasmhookSystem, error) {
	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir:    dir,
		Limits: wasmhook.Limits{Timeout: callTimeout},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	return &wasmhookSystem{e: e}, nil
}

func (s *wasmhookSystem) enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error) {
	res, err := s.e.Enrich(ctx, ev)
	if err != nil {
		return nil, err
	}
	for i := range res.Reports {
		if err := res.Reports[i].Err; err != nil {
			return nil, err
		}
	}
	return res.Payload, nil
}

func (s *wasmhookSystem) close(ctx context.Context) error { return s.e.Close(ctx) }

// wasmhookIntoSystem is the same enricher through EnrichInto with one
// Result reused for every event: what a host that sends each payload before
// the next event writes, and allocation-free. Not safe for concurrent use.
type wasmhookIntoSystem struct {
	e   *wasmhook.Enricher
	res wasmhook.Result
}

func (s *wasmhookIntoSystem) enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error) {
	if err := s.e.EnrichInto(ctx, ev, &s.res); err != nil {
		return nil, err
	}
	for i := range s.res.Reports {
		if err := s.res.Reports[i].Err; err != nil {
			return nil, err
		}
	}
	return s.res.Payload, nil
}

func (s *wasmhookIntoSystem) close(context.Context) error { return nil }

// wasmhookCopySystem is EnrichInto followed by a copy of the payload into a
// new buffer (bytes.Clone): a control for Enrich, which returns a new
// payload per event. Enrich costing about what this costs shows its extra
// time over EnrichInto to be the price of a new payload-sized buffer in Go.
type wasmhookCopySystem struct{ into wasmhookIntoSystem }

func (s *wasmhookCopySystem) enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error) {
	p, err := s.into.enrich(ctx, ev)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(p), nil
}

func (s *wasmhookCopySystem) close(context.Context) error { return nil }

// nativeSystem is what a Go application writes by hand: data decoded with
// encoding/json, three Go functions, an ordered merge, the payload encoded
// with encoding/json.
type nativeSystem struct{}

func (nativeSystem) enrich(_ context.Context, ev *wasmhook.Event) ([]byte, error) {
	var data map[string]any
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return nil, err
	}
	merged := newOrderedMap()
	for _, cb := range nativeCallbacks {
		merged.update(cb(ev.ObjectType, ev.EventType, data, ev.Request))
	}
	return marshalPayload(ev, merged)
}

func (nativeSystem) close(context.Context) error { return nil }

// extismSystem runs the same C callback logic (guests/extism) with Extism's
// Go SDK: each callback compiled once, one instance per callback reused
// for every event; outputs decoded, merged and the payload encoded as the
// native reference does.
type extismSystem struct {
	compiled []*extism.CompiledPlugin
	plugins  []*extism.Plugin
	input    []byte
}

// newExtism loads the Extism guests of dir, cb2 from the file cb2.wasm
// names (cb2, or cb2_plain). timeoutMs is the manifest's
// timeout_ms: 0 (Extism's default) runs without a time limit, and then
// without wazero's termination checks; any other value turns them on
// (WithCloseOnContextDone) and sets a deadline per call, as wasmhook does.
func newExtism(ctx context.Context, dir string, timeoutMs uint64, cb2 string) (*extismSystem, error) {
	s := &extismSystem{}
	for _, name := range callbackNames {
		file := name
		if name == "cb2" {
			file = cb2
		}
		bin, err := os.ReadFile(filepath.Join(dir, file+".wasm"))
		if err != nil {
			s.close(ctx)
			return nil, err
		}
		cp, err := extism.NewCompiledPlugin(ctx,
			extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: bin, Name: name}}, Timeout: timeoutMs},
			extism.PluginConfig{EnableWasi: true}, nil)
		if err != nil {
			s.close(ctx)
			return nil, fmt.Errorf("extism: compile %s: %w", name, err)
		}
		s.compiled = append(s.compiled, cp)
		p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			s.close(ctx)
			return nil, fmt.Errorf("extism: instantiate %s: %w", name, err)
		}
		s.plugins = append(s.plugins, p)
	}
	return s, nil
}

func (s *extismSystem) enrich(ctx context.Context, ev *wasmhook.Event) ([]byte, error) {
	// The same input JSON wasmhook hands its callbacks, built once per
	// event with wasmhook's own (exported) input writer.
	s.input = abi.AppendInput(s.input[:0], &abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}, nil)
	merged := newOrderedMap()
	for i, p := range s.plugins {
		rc, out, err := p.CallWithContext(ctx, "run", s.input)
		if err != nil {
			return nil, fmt.Errorf("extism: %s: %w", callbackNames[i], err)
		}
		if rc != 0 {
			return nil, fmt.Errorf("extism: %s: status %d", callbackNames[i], rc)
		}
		members, err := decodeMembers(out)
		if err != nil {
			return nil, fmt.Errorf("extism: %s: %w", callbackNames[i], err)
		}
		merged.update(members)
	}
	return marshalPayload(ev, merged)
}

func (s *extismSystem) close(ctx context.Context) error {
	for _, p := range s.plugins {
		p.Close(ctx)
	}
	for _, cp := range s.compiled {
		cp.Close(ctx)
	}
	return nil
}

// openSystems loads W1 and every system timed on it, and checks their
// payloads equal (checkSystems) before anything is timed. release closes
// them.
func openSystems(ctx context.Context) (ev *wasmhook.Event, systems map[string]system, release func(), err error) {
	var closers []system
	release = func() {
		for _, s := range closers {
			s.close(ctx)
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	if ev, err = loadW1(w1Event); err != nil {
		return nil, nil, release, err
	}
	expected, err := os.ReadFile(w1ExpectedContext)
	if err != nil {
		return nil, nil, release, err
	}
	wh, err := newWasmhook(ctx, wasmhookGuests)
	if err != nil {
		return nil, nil, release, err
	}
	closers = append(closers, wh)
	ex, err := newExtism(ctx, extismGuests, 0, "cb2")
	if err != nil {
		return nil, nil, release, err
	}
	closers = append(closers, ex)
	exT, err := newExtism(ctx, extismGuests, uint64(callTimeout.Milliseconds()), "cb2")
	if err != nil {
		return nil, nil, release, err
	}
	closers = append(closers, exT)
	systems = map[string]system{
		"wasmhook":           wh,
		"wasmhook-into":      &wasmhookIntoSystem{e: wh.e},
		"wasmhook-into-copy": &wasmhookCopySystem{into: wasmhookIntoSystem{e: wh.e}},
		"native":             nativeSystem{},
		"extism":             ex,
		"extism-timeout":     exT,
	}
	if err = checkSystems(ctx, ev, expected, systems); err != nil {
		return nil, nil, release, fmt.Errorf("payload check: %w", err)
	}
	return ev, systems, release, nil
}
