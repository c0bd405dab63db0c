// Package registry turns a modules directory into an enricher's callbacks,
// in load order.
//
// It reads the directory ([LoadDir]: the module files, opened once and
// checked, and the settings file), holds the callbacks in load order
// beside the native Go functions registered by name ([Registry.Register]),
// as NetBox's register_webhook_callback does for Python plugins. A library
// user meets [ModuleSettings], [FailurePolicy] and [Func] through the root
// package's Options and Register; the rest serves the enricher, the
// command-line tool and other hosts that load a directory themselves.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// ErrDuplicate: a callback of that name is registered already.
var ErrDuplicate = errors.New("duplicate callback name")

// Invocation is one event as callbacks receive it.
type Invocation struct {
	// Input is the event, for native callbacks; its request's headers
	// are filtered as the caller chose (see abi.Request.Filtered).
	abi.Input
	// Raw is the ABI input JSON (abi.AppendInput), for modules.
	Raw []byte
	// Event, when set, is Raw and the event's snapshots as modules' field
	// reads see them, shared by every module called with it (Raw must be
	// its input). Without it, each call looks fields up in Raw alone.
	Event *runtime.Event
}

// Callback is one named callback. Implementations are safe for concurrent
// use.
type Callback interface {
	// Name is the callback's unique name.
	Name() string
	// Kind says how it runs: abi.KindReactor, abi.KindCommand or abi.KindGo.
	Kind() abi.Kind
	// File is the module file, "" for a native callback.
	File() string
	// OnFailure says what the callback's failure does to the event.
	OnFailure() FailurePolicy
	// NestKey is the context key the callback's output is placed under,
	// "" when its keys are merged into the context.
	NestKey() string
	// Call runs the callback on one event and appends its raw output (JSON,
	// not yet validated; nothing for an empty result) to dst. start is
	// when the call starts, as the caller read the clock to time it; a
	// module's time limit counts from it.
	Call(ctx context.Context, start time.Time, inv *Invocation, dst []byte) ([]byte, error)
	// Close releases what the callback holds.
	Close(ctx context.Context) error
}

// Func is a native Go callback. It may return nil (nothing to add), a
// map or struct that encoding/json encodes as an object, or json.RawMessage
// holding an object. A returned error or a panic is reported as
// abi.ErrGuest and the callback's result is dropped. in, and what it
// points to, are valid during the call only and must not be modified:
// other callbacks of the event may read them at the same time.
type Func func(ctx context.Context, in *abi.Input) (any, error)

// Registry holds the current callbacks in load order: the modules of a
// directory first, then the native callbacks in registration order. The
// zero value is ready to use. It is a plain value, not safe for concurrent
// use: its owner (an enricher) serializes changes and publishes the list
// (Callbacks) to the goroutines that run events.
type Registry struct {
	modules []Callback
	natives []Callback
	list    []Callback
}

// Callbacks returns the callbacks in load order. The slice is never
// modified: every change makes a new one.
func (r *Registry) Callbacks() []Callback { return r.list }

// Modules returns the module callbacks in load order.
func (r *Registry) Modules() []Callback { return r.modules }

// SetModules replaces the module callbacks and returns the ones replaced.
// It fails with ErrDuplicate, changing nothing, when two callbacks would
// share a name. It closes nothing: the caller closes what it replaced once
// no call uses it.
func (r *Registry) SetModules(mods []Callback) (old []Callback, err error) {
	if err := checkNames(mods, r.natives); err != nil {
		return nil, err
	}
	old, r.modules = r.modules, mods
	r.publish()
	return old, nil
}

// Register appends a native Go callback under name, its output nested
// under nest (see ModuleSettings.Nest).
func (r *Registry) Register(name string, fn Func, nest Nest) error {
	if name == "" {
		return errors.New("registry: empty callback name")
	}
	if fn == nil {
		return fmt.Errorf("registry: callback %q: nil function", name)
	}
	natives := append(r.natives[:len(r.natives):len(r.natives)], &goCallback{name: name, fn: fn, nest: nest.Key(name)})
	if err := checkNames(r.modules, natives); err != nil {
		return err
	}
	r.natives = natives
	r.publish()
	return nil
}

func (r *Registry) publish() {
	list := make([]Callback, 0, len(r.modules)+len(r.natives))
	r.list = append(append(list, r.modules...), r.natives...)
}

func checkNames(lists ...[]Callback) error {
	seen := map[string]bool{}
	for _, l := range lists {
		for _, cb := range l {
			if seen[cb.Name()] {
				return fmt.Errorf("%w: %q", ErrDuplicate, cb.Name())
			}
			seen[cb.Name()] = true
		}
	}
	return nil
}

// Close closes every callback and empties the registry.
func (r *Registry) Close(ctx context.Context) error {
	list := r.list
	*r = Registry{}
	var errs []error
	for _, cb := range list {
		errs = append(errs, cb.Close(ctx))
	}
	return errors.Join(errs...)
}

// ModuleCallback adapts a loaded module to Callback.
type ModuleCallback struct {
	*runtime.Module
	// Hash is the SHA-256 of the module's bytes.
	Hash [32]byte
	// Settings are the settings it was loaded with.
	Settings ModuleSettings
}

// Call implements Callback.
func (m *ModuleCallback) Call(ctx context.Context, start time.Time, inv *Invocation, dst []byte) ([]byte, error) {
	if inv.Event != nil {
		return m.Module.CallEvent(ctx, start, inv.Event, dst)
	}
	return m.Module.CallAt(ctx, start, inv.Raw, dst)
}

// CallStats is Call that also sets *st to the call's HTTP lookups (on an
// Invocation without an Event, it sets nothing).
func (m *ModuleCallback) CallStats(ctx context.Context, start time.Time, inv *Invocation, dst []byte, st *runtime.LookupStats) ([]byte, error) {
	if inv.Event != nil {
		return m.Module.CallEventStats(ctx, start, inv.Event, dst, st)
	}
	return m.Module.CallAt(ctx, start, inv.Raw, dst)
}

// OnFailure implements Callback.
func (m *ModuleCallback) OnFailure() FailurePolicy { return m.Settings.OnFailure.orSkip() }

// NestKey implements Callback.
func (m *ModuleCallback) NestKey() string { return m.Settings.Nest.Key(m.Name()) }

func (p FailurePolicy) orSkip() FailurePolicy {
	if p == "" {
		return Skip
	}
	return p
}

// goCallback adapts a Func to Callback.
type goCallback struct {
	name string
	fn   Func
	nest string
}

func (g *goCallback) Name() string                    { return g.name }
func (g *goCallback) Kind() abi.Kind                  { return abi.KindGo }
func (g *goCallback) File() string                    { return "" }
func (g *goCallback) OnFailure() FailurePolicy        { return Skip }
func (g *goCallback) NestKey() string                 { return g.nest }
func (g *goCallback) Close(ctx context.Context) error { return nil }

func (g *goCallback) Call(ctx context.Context, _ time.Time, inv *Invocation, dst []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = dst, abi.Errorf(g.name, abi.ErrGuest, "panic: %v", p)
		}
	}()
	ret, err := g.fn(ctx, &inv.Input)
	if err != nil {
		return dst, abi.NewCallError(g.name, abi.ErrGuest, err.Error(), err)
	}
	switch v := ret.(type) {
	case nil:
		return dst, nil
	case json.RawMessage:
		return append(dst, v...), nil
	}
	b, err := json.Marshal(ret)
	if err != nil {
		return dst, abi.NewCallError(g.name, abi.ErrOutputNotJSON, err.Error(), err)
	}
	if string(b) == "null" { // a nil map or pointer
		return dst, nil
	}
	return append(dst, b...), nil
}
