// Package wasmhook enriches outbound webhooks with callbacks written as
// sandboxed WebAssembly modules, the way NetBox's register_webhook_callback
// does with Python plugins.
//
// An [Enricher] loads every *.wasm file of a directory at start-up, in
// file-name order, and registers each under its file name without ".wasm";
// native Go callbacks can be registered beside them ([Enricher.Register]).
// For every event, [Enricher.Enrich] hands each callback the same input
// (object_type, event_type, data, request), merges the JSON objects they
// return in load order, later keys winning, and returns the payload bytes
// NetBox would send, with the merged map under "context" when it is not
// empty. A failing callback is logged, reported and skipped; the payload
// still carries every other callback's result.
//
// Modules run on wazero with no file system, environment, network or
// credentials, and within limits of time, memory, output and log size
// ([Limits]). The ABI a module implements is abi/SPEC.md.
package wasmhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	goruntime "runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/kv"
	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

// Limits bound what a module may use; see [runtime.Limits] for each field
// and [DefaultLimits] for the values in force where none is set.
type Limits = runtime.Limits

// Bytes is a size in bytes, as limits give it; as text, 65536, 64KiB or
// 32MiB.
type Bytes = runtime.Bytes

// ModuleSettings are one module's settings: its configuration (a JSON
// object the guest reads with config_read), limits overriding the
// enricher's, whether it is disabled, and what its failure does to the
// event (FailurePolicy). Options.Modules and the modules directory's
// settings file (wasmhook.yaml) give the same fields; where both set one,
// the file wins. registry.ModuleSettings documents each field and its key
// in the file.
type ModuleSettings = registry.ModuleSettings

// Nest is the context key a callback's output is placed under instead of
// merging its keys into the context (ModuleSettings.Nest, NestUnder).
type Nest = registry.Nest

// NestByName nests a callback's output under the callback's own name
// (nest: true in a settings file).
const NestByName = registry.NestByName

// FailurePolicy says what a callback's failure does to the event: Skip
// (the default) drops its result, FailEvent makes Enrich fail.
type FailurePolicy = registry.FailurePolicy

// The failure policies.
const (
	Skip      = registry.Skip
	FailEvent = registry.FailEvent
)

// DefaultLimits returns the limits in force where nobody set one.
func DefaultLimits() Limits { return runtime.DefaultLimits() }

// CallbackFunc is a native Go callback: it gets the event's input and may
// return nil, a map or struct that encodes as a JSON object, or a
// json.RawMessage holding one. An error (or a panic) drops its result.
// The input's request has the headers modules see (no credentials, no
// SensitiveHeaders) unless Options.NativeCredentials is set; the input is
// valid during the call only and must not be modified.
type CallbackFunc = registry.Func

// Input is what a callback gets for one event.
type Input = abi.Input

// Options configure an Enricher. The zero value makes an enricher with no
// modules, to which native callbacks can be added with Register.
type Options struct {
	// Dir is the modules directory: every *.wasm file in it (dotfiles
	// aside) is loaded, in file-name order. "" loads none.
	Dir string
	// Limits are the limits of every module; zero fields take DefaultLimits.
	Limits Limits
	// Modules holds per-module settings by callback name (the file name
	// without ".wasm"). In New, a name with no module file is an error
	// (a misspelt name would leave a module without its settings). After
	// New, a reload ignores such a name (its module file was deleted,
	// say): it logs a warning once and lists the name in
	// ReloadResult.Unmatched, and the rest of the directory reloads.
	Modules map[string]ModuleSettings
	// SkipInvalid loads the valid modules of Dir and reports the invalid
	// ones (Enricher.Skipped) instead of failing.
	SkipInvalid bool
	// CompilationCacheDir, when set, keeps compiled modules on disk so that
	// the next start-up is fast.
	CompilationCacheDir string
	// Logger receives callback failures, guest logs and stderr. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Parallelism bounds how many callbacks of one event run at once. Zero
	// means GOMAXPROCS; 1 runs them one after another. Callbacks whose
	// calls are cheap run one after another anyway, where starting
	// goroutines would cost more than it saves (see RATIONALE.md).
	Parallelism int
	// SensitiveHeaders are request headers never passed to callbacks, in
	// addition to Authorization, Cookie and Proxy-Authorization.
	SensitiveHeaders []string
	// FailOnCollision makes a callback that sets a context key an earlier
	// callback of the event set fail (ErrCollision; its result is dropped
	// and its failure policy applies) instead of winning. By default the
	// later value wins, as in NetBox, and the overwrite is reported
	// (Report.Overwrote, CallbackStats.Overwrote, one warning per pair of
	// callbacks).
	FailOnCollision bool
	// NativeCredentials hands native Go callbacks (Register) the event's
	// request as given, every header included: Authorization, Cookie,
	// Proxy-Authorization and SensitiveHeaders too. By default they see
	// the headers modules see. Modules never see those headers.
	NativeCredentials bool
	// ReportKeys lists in each Report the context keys its callback set
	// (Report.Keys), so that a reader of the payload can tell which
	// callback each key came from. Off by default: collecting the keys
	// costs an allocation per callback and event, which EnrichInto
	// otherwise avoids.
	ReportKeys bool
	// KV is the store of modules' kv_get, kv_set and kv_delete, each
	// module's keys under its callback name. Nil means one in this
	// process's memory, each module bounded (1 MiB unless its kv
	// max_bytes says otherwise).
	KV KV
}

// KV is a key-value store for modules (Options.KV): safe for concurrent
// use, each module's keys its own. A Set past a module's bound returns
// an error matching ErrKVFull, a key or value too large ErrKVTooLarge;
// the guest sees those as statuses, and any other error as the store
// failing.
type KV = runtime.KV

// The errors a KV's Set returns for what a module may not store.
var (
	ErrKVFull     = kv.ErrFull
	ErrKVTooLarge = kv.ErrTooLarge
)

// HTTPSettings, Grant and KVSettings are a module's lookups
// (ModuleSettings.HTTP, ModuleSettings.KV): what its http_request may
// reach, with which injected credentials, and how much it may keep.
type (
	HTTPSettings = registry.HTTPSettings
	Grant        = registry.Grant
	KVSettings   = registry.KVSettings
)

// Enricher runs callbacks over events. It is safe for concurrent use by
// many goroutines.
type Enricher struct {
	opts        Options
	engine      *runtime.Engine
	reg         registry.Registry
	logger      *slog.Logger
	parallelism int
	sensitive   map[string]bool
	pass        abi.HeaderFilter // nil when sensitive is empty
	now         func() time.Time

	mu        sync.Mutex           // serializes changes: Register, Reload, Close
	skipped   []error              // guarded by mu
	unmatched []registry.Unmatched // guarded by mu
	set       atomic.Pointer[callbackSet]
	gens      generations
	closed    atomic.Bool
	watches   watchSet // the running Watch calls, ended by Close
}

// New creates an enricher and loads the modules of opts.Dir. Errors name
// the module file and the reason; nothing stays open after an error.
func New(ctx context.Context, opts Options) (*Enricher, error) {
	e := &Enricher{
		opts:        opts,
		logger:      opts.Logger,
		parallelism: opts.Parallelism,
		sensitive:   map[string]bool{},
		now:         time.Now,
	}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	if e.parallelism <= 0 {
		e.parallelism = goruntime.GOMAXPROCS(0)
	}
	for _, h := range opts.SensitiveHeaders {
		e.sensitive[http.CanonicalHeaderKey(h)] = true
	}
	if len(e.sensitive) > 0 {
		// Without sensitive headers there is nothing to filter but the
		// credentials, which AppendInput drops itself.
		e.pass = func(canonical string) bool { return !e.sensitive[canonical] }
	}
	if opts.Dir == "" && len(opts.Modules) > 0 {
		return nil, fmt.Errorf("wasmhook: settings for modules but no modules directory")
	}
	engine, err := runtime.NewEngine(ctx, runtime.Config{
		Limits:              opts.Limits,
		CompilationCacheDir: opts.CompilationCacheDir,
		Logger:              e.logger,
		KV:                  opts.KV,
	})
	if err != nil {
		return nil, err
	}
	e.engine = engine
	e.set.Store(e.gens.newSet(nil))
	if opts.Dir != "" {
		if _, err := e.reload(ctx, true); err != nil {
			engine.Close(ctx)
			return nil, err
		}
	}
	return e, nil
}

// ReloadResult says what a Reload did.
type ReloadResult struct {
	// Callbacks are the callbacks now in force, in load order.
	Callbacks []CallbackInfo
	// Compiled and Reused count modules compiled anew and modules kept
	// as they were (unchanged bytes and settings); Removed counts modules
	// that left.
	Compiled, Reused, Removed int
	// Skipped are the modules left out with Options.SkipInvalid.
	Skipped []error
	// Unmatched are the callback names, sorted, that settings name
	// (Options.Modules, or the settings file's modules or order) but that
	// have no module file in the directory: those settings were ignored.
	// A name is logged as a warning when it first appears, not on every
	// reload that finds it again.
	Unmatched []string
}

// Reload rescans the modules directory and its settings file, compiles
// what is new or changed (by content hash; unchanged modules are kept as
// they are) and swaps the whole callback set at once. Enrich calls in
// flight finish on the set they started with; the instances of modules
// that left are closed once those calls drain. When a module fails to load
// the old set stays in force and the error names the file, unless
// Options.SkipInvalid is set: then the rest loads and the result lists the
// failure. Settings that name a module the directory does not hold (its
// file was deleted) are no error: they are ignored, logged once and listed
// in ReloadResult.Unmatched.
func (e *Enricher) Reload(ctx context.Context) (*ReloadResult, error) {
	return e.reload(ctx, false)
}

// reload is Reload; the first load (New's) is strict about settings that
// name no module.
func (e *Enricher) reload(ctx context.Context, first bool) (*ReloadResult, error) {
	if e.opts.Dir == "" {
		return nil, fmt.Errorf("wasmhook: reload: no modules directory")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return nil, ErrClosed
	}
	previous := e.reg.Modules()
	loaded, err := registry.LoadDir(ctx, e.engine, e.opts.Dir, registry.LoadOptions{
		Modules:         e.opts.Modules,
		IgnoreUnmatched: !first,
		SkipInvalid:     e.opts.SkipInvalid,
		Previous:        previous,
	})
	if err != nil {
		return nil, fmt.Errorf("wasmhook: %w", err)
	}
	for _, err := range loaded.Skipped {
		// Watch rescans every interval: warn about a skipped module once,
		// not on every rescan that finds it unchanged.
		if !slices.ContainsFunc(e.skipped, func(old error) bool { return old.Error() == err.Error() }) {
			e.logger.Warn("wasmhook: module skipped", "error", err)
		}
	}
	e.skipped = loaded.Skipped
	for _, u := range loaded.Unmatched {
		if !slices.Contains(e.unmatched, u) {
			e.logger.Warn("wasmhook: settings name a module that is not in the directory; they are ignored", "module", u.Name, "error", u)
		}
	}
	e.unmatched = loaded.Unmatched
	var unmatched []string
	for _, u := range loaded.Unmatched {
		unmatched = append(unmatched, u.Name)
	}
	slices.Sort(unmatched)
	unmatched = slices.Compact(unmatched)
	if slices.Equal(previous, loaded.Callbacks) {
		// Nothing changed: the current set stays, with what it learnt.
		return &ReloadResult{Callbacks: e.Callbacks(), Reused: loaded.Reused, Skipped: loaded.Skipped, Unmatched: unmatched}, nil
	}
	if _, err := e.reg.SetModules(loaded.Callbacks); err != nil {
		for _, cb := range loaded.Callbacks {
			if !slices.ContainsFunc(previous, sameModule(cb)) {
				cb.Close(ctx)
			}
		}
		return nil, fmt.Errorf("wasmhook: %w", err)
	}
	removed := 0
	for _, cb := range previous {
		if !slices.ContainsFunc(loaded.Callbacks, sameModule(cb)) {
			removed++
		}
	}
	e.swapLocked()
	return &ReloadResult{
		Callbacks: e.Callbacks(),
		Compiled:  loaded.Compiled,
		Reused:    loaded.Reused,
		Removed:   removed,
		Skipped:   loaded.Skipped,
		Unmatched: unmatched,
	}, nil
}

// Register appends a native Go callback under name, after every module
// (and every callback registered before it). A name in use is
// ErrDuplicate. The callback sees the request's headers as modules do,
// unless Options.NativeCredentials is set. Options such as NestUnder
// apply to this callback alone.
func (e *Enricher) Register(name string, fn CallbackFunc, opts ...RegisterOption) error {
	var ro registerOptions
	for _, o := range opts {
		o(&ro)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return ErrClosed
	}
	if err := e.reg.Register(name, fn, ro.nest); err != nil {
		return fmt.Errorf("wasmhook: %w", err)
	}
	e.swapLocked()
	return nil
}

// RegisterOption is an option of one native callback (Register).
type RegisterOption func(*registerOptions)

type registerOptions struct{ nest Nest }

// NestUnder places the callback's output under one key of the payload's
// context, as a module's nest setting does: NestByName for the
// callback's name, any other value for that key.
func NestUnder(key Nest) RegisterOption {
	return func(o *registerOptions) { o.nest = key }
}

// CallbackInfo describes one registered callback.
type CallbackInfo struct {
	Name string
	Kind abi.Kind
	// File is the module file, "" for a native callback.
	File string
}

// Callbacks lists the callbacks in load order: the order they run and
// merge in.
func (e *Enricher) Callbacks() []CallbackInfo {
	s := e.set.Load()
	out := make([]CallbackInfo, len(s.entries))
	for i, en := range s.entries {
		out[i] = CallbackInfo{Name: en.cb.Name(), Kind: en.cb.Kind(), File: en.cb.File()}
	}
	return out
}

// CallbackStats are one callback's counters since it was loaded. Native
// callbacks have only a name and a kind.
type CallbackStats struct {
	Name string
	Kind abi.Kind
	// Limits are the module's limits, every field set.
	Limits Limits
	// Stats are the module's instance and call counters.
	runtime.Stats
	// Overwrote counts, by the name of an earlier callback ("" for the
	// event's own Context), the events in which this callback set a
	// context key that one had set (see Report.Overwrote).
	Overwrote map[string]int64
}

// Stats returns every callback's counters, in load order.
func (e *Enricher) Stats() []CallbackStats {
	s := e.set.Load()
	out := make([]CallbackStats, len(s.entries))
	for i, en := range s.entries {
		out[i] = CallbackStats{Name: en.cb.Name(), Kind: en.cb.Kind()}
		en.mu.Lock()
		if len(en.overwrote) > 0 {
			out[i].Overwrote = maps.Clone(en.overwrote)
		}
		en.mu.Unlock()
		if m, ok := en.cb.(*registry.ModuleCallback); ok {
			out[i].Limits = m.Limits()
			out[i].Stats = m.Stats()
		}
	}
	return out
}

// Skipped returns the load errors of the modules the last load left out
// with Options.SkipInvalid.
func (e *Enricher) Skipped() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.skipped
}

// Result is what Enrich returns for one event.
type Result struct {
	// Payload is the webhook body, ready to sign and send.
	Payload []byte
	// Reports has one entry per callback, in load order.
	Reports []Report
}

// Report is what one callback did with one event.
type Report struct {
	// Callback is the callback's name.
	Callback string
	Kind     abi.Kind
	// Duration is the time the call took, waiting for an instance included.
	Duration time.Duration
	// OutputBytes is the size of the callback's raw output.
	OutputBytes int
	// Err is nil, or a *CallError matching one of the Err* classes; the
	// callback's result was then dropped.
	Err error
	// Nest is the context key the callback's output was placed under, ""
	// when its keys were merged into the context.
	Nest string
	// Requests, CacheHits and Waited are the call's HTTP lookups: the
	// requests it sent upstream (or shared with a concurrent identical
	// one), those the cache answered, and the time it waited for
	// upstream. Zero for a callback without HTTP grants.
	Requests, CacheHits int
	Waited              time.Duration
	// Overwrote lists the context keys this callback set that an earlier
	// callback of the event had set: the later value won (NetBox's rule).
	// With Options.FailOnCollision the callback failed instead
	// (ErrCollision) and this lists the first such key.
	Overwrote []Overwrite
	// Keys are the context keys this callback set, in its output's order
	// (its nest key alone when nested), whether or not a later callback
	// overwrote them; nil unless Options.ReportKeys is set. A key's value
	// in the payload is that of the last callback listing it.
	Keys []string
}

// Overwrite is a context key a callback set after an earlier callback of
// the same event had set it.
type Overwrite struct {
	// Key is the context key.
	Key string
	// Callback is the earlier callback, whose value was replaced; "" for
	// the event's own Context.
	Callback string
}

// Failed returns the reports of the callbacks that failed.
func (r *Result) Failed() []Report {
	var out []Report
	for _, rep := range r.Reports {
		if rep.Err != nil {
			out = append(out, rep)
		}
	}
	return out
}

// ErrEventFailed: a callback whose failure policy is FailEvent failed.
var ErrEventFailed = errors.New("event failed")

// Enrich runs every callback on ev and returns the payload with their
// merged results under "context". A failing callback is logged, reported
// in the Result and left out of the payload. Enrich fails when ev is
// invalid (ErrInvalidEvent), ctx is done before it starts, the enricher is
// closed (ErrClosed), or a callback whose policy is FailEvent failed
// (ErrEventFailed, wrapping the callback's error; the Result, without a
// payload, is returned beside it).
func (e *Enricher) Enrich(ctx context.Context, ev *Event) (*Result, error) {
	res := new(Result)
	if err := e.EnrichInto(ctx, ev, res); err != nil {
		if errors.Is(err, ErrEventFailed) {
			return res, err
		}
		return nil, err
	}
	return res, nil
}

// EnrichInto is Enrich writing into res, reusing its Payload and Reports
// buffers: a caller that enriches many events with one Result allocates
// nothing per event for them. (A report's Overwrote, made only when a
// callback sets a key an earlier one set, is new each event: it is the
// caller's to keep.) The payload is only valid until res is used again.
func (e *Enricher) EnrichInto(ctx context.Context, ev *Event, res *Result) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	set := e.acquire()
	if set == nil {
		return ErrClosed
	}
	defer set.release()
	// When a module reads fields, data is validated in the pass that
	// indexes it (runtime.Event.ResetData).
	if err := ev.validate(!set.readsFields); err != nil {
		return err
	}
	ts := ev.Timestamp
	if ts.IsZero() {
		ts = e.now()
	}
	w := getWork(len(set.entries))
	defer putWork(w)

	w.inv.Input = abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}
	var dataOff int
	w.input, dataOff = abi.AppendInputData(w.input[:0], &w.inv.Input, e.pass)
	w.inv.Raw = w.input
	var pre, post []byte
	if sn := ev.Snapshots; sn != nil {
		pre, post = sn.Prechange, sn.Postchange
	}
	if !set.readsFields {
		w.event.Reset(w.input, pre, post)
	} else if w.event.ResetData(w.input, dataOff, len(ev.Data), pre, post) != nil {
		// data alone says why, in the words every event's check uses;
		// or it is valid and too large to index (4 GiB): field reads
		// then report that when they first need the index.
		if err := validJSON("data", ev.Data, true); err != nil {
			return err
		}
	}
	w.inv.Event = &w.event
	if set.natives && ev.Request != nil && !e.opts.NativeCredentials {
		// Native callbacks see the headers modules see.
		w.inv.Input.Request = ev.Request.Filtered(e.pass, &w.request)
	}

	e.run(ctx, set, w)

	fatal := e.merge(ev, set, w, res)
	if fatal != nil {
		res.Payload = nil
		return fatal
	}
	if res.Payload == nil {
		size := len(ev.Data) + 512
		if sn := ev.Snapshots; sn != nil {
			size += len(sn.Prechange) + len(sn.Postchange)
		}
		for _, out := range w.outputs {
			size += len(out)
		}
		res.Payload = make([]byte, 0, size)
	}
	res.Payload = appendPayload(res.Payload[:0], ev, ts, &w.merge)
	return nil
}

// Close ends any running Watch, waits for Enrich calls in flight (on the
// current callback set and on any older one), then releases every module.
// Enrich, Register, Reload and Watch fail with ErrClosed afterwards.
func (e *Enricher) Close(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.watches.close()
	e.set.Load().release()
	// Events may still run on older sets than the current one; each set
	// closes its modules as it drains. What is left when ctx ends first
	// is closed under them.
	e.gens.wait(ctx)
	err := e.reg.Close(ctx)
	if cerr := e.engine.Close(ctx); err == nil {
		err = cerr
	}
	return err
}
