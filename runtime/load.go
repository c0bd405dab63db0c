package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/egress"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// ModuleOptions are one module's settings.
type ModuleOptions struct {
	// Config is the module's configuration, a JSON object handed to the
	// guest through config_read. Nil means "{}".
	Config []byte
	// Limits override the engine's; zero fields inherit them.
	Limits Limits
	// HTTP is what the module's http_request may reach; nil grants
	// nothing (every request is refused with abi.LookupNotAllowed).
	HTTP *egress.Policy
	// KVBytes bounds the module's keys and values in the engine's store,
	// when the store bounds modules on its own (internal/kv's do); 0
	// keeps the store's bound.
	KVBytes int64
}

var wasmMagic = []byte("\x00asm")

// Load compiles a module, checks it against ABI v1 and, for a reactor,
// creates its first instance (so that a start function that traps, or an
// _initialize that fails, fails here). name is the callback's name; file is
// only used in messages. Every error is an *abi.LoadError naming the file.
func (e *Engine) Load(ctx context.Context, name, file string, bin []byte, opts ModuleOptions) (*Module, error) {
	bad := func(symbol, reason string, err error) error {
		return &abi.LoadError{File: file, Symbol: symbol, Kind: abi.ErrBadModule, Reason: reason, Err: err}
	}
	switch {
	case len(bin) == 0:
		return nil, bad("", "empty file", nil)
	case !bytes.HasPrefix(bin, wasmMagic):
		return nil, bad("", "not a WebAssembly module (no \\0asm header)", nil)
	}
	config := bytes.TrimSpace(opts.Config)
	if len(config) == 0 {
		config = []byte("{}")
	}
	// The one place a configuration is checked, whether it came from code
	// or from a settings file.
	if err := jsonraw.Validate(config); err != nil || config[0] != '{' {
		return nil, &abi.LoadError{File: file, Kind: abi.ErrBadConfig,
			Reason: fmt.Sprintf("configuration of module %q is not a JSON object", name), Err: err}
	}
	limits := opts.Limits.Or(e.limits).resolved()

	instrumented, err := instrument(bin, uint64(limits.MemoryBytes))
	var refused *refusal
	var bent *malformed
	switch {
	case errors.As(err, &refused):
		return nil, bad(refused.symbol, refused.reason, nil)
	case errors.As(err, &bent):
		return nil, bad("", "invalid module", bent)
	case err != nil:
		// The compiler's own message about the original bytes says more;
		// if it has none, the module uses what the rewriter cannot parse.
		if _, cerr := e.compile(ctx, bin); cerr != nil {
			return nil, bad("", "invalid module", cerr)
		}
		return nil, bad("", "unsupported by the host's instrumentation", err)
	}
	compiled, err := e.compile(ctx, instrumented)
	if err != nil {
		return nil, bad("", "invalid module", err)
	}
	kind, err := e.check(compiled, file, limits)
	if err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	m := &Module{
		engine:   e,
		name:     name,
		file:     file,
		kind:     kind,
		compiled: compiled,
		config:   config,
		limits:   limits,
		logger:   e.logger.With("callback", name),
	}
	m.configDoc.raw = config
	m.configDoc.memoize = true
	if opts.HTTP != nil {
		if m.egress, err = egress.New(*opts.HTTP); err != nil {
			compiled.Close(ctx)
			return nil, &abi.LoadError{File: file, Kind: abi.ErrBadConfig, Reason: fmt.Sprintf("module %q: http", name), Err: err}
		}
	}
	if b, ok := e.kv.(kvBounder); ok && opts.KVBytes > 0 {
		b.SetBound(name, opts.KVBytes)
	}
	_, m.hasInit = compiled.ExportedFunctions()[abi.InitializeName]
	for _, fn := range compiled.ImportedFunctions() {
		mod, name, _ := fn.Import()
		if mod == abi.ImportModule && (name == abi.FieldTypeName || name == abi.FieldReadName || name == abi.FieldStringName) {
			m.readsFields = true
		}
	}
	_, m.hasStart = compiled.ExportedFunctions()[StartFuncName]
	m.minMemory = uint64(compiled.ExportedMemories()[abi.MemoryName].Min()) * pageSize
	if err := e.track(m); err != nil {
		compiled.Close(ctx)
		if m.egress != nil {
			m.egress.Close()
		}
		return nil, err
	}
	if kind == abi.KindReactor {
		inst, err := m.newInstance(ctx)
		if err != nil {
			m.Close(ctx)
			return nil, &abi.LoadError{File: file, Kind: abi.ErrBadModule, Reason: "instantiation failed", Err: err}
		}
		m.idle = append(m.idle, inst)
	}
	return m, nil
}

// check validates imports and exports and returns the module's kind.
func (e *Engine) check(c wazero.CompiledModule, file string, limits Limits) (abi.Kind, error) {
	bad := func(symbol, format string, args ...any) error {
		return &abi.LoadError{File: file, Symbol: symbol, Kind: abi.ErrBadModule, Reason: fmt.Sprintf(format, args...)}
	}
	exports := c.ExportedFunctions()

	// The version marker first: an unknown ABI says more than what follows.
	var markers []string
	for name := range exports {
		if strings.HasPrefix(name, abi.VersionMarkerPrefix) {
			markers = append(markers, name)
		}
	}
	slices.Sort(markers)
	if len(markers) > 1 {
		return "", &abi.LoadError{File: file, Symbol: strings.Join(markers, ", "), Kind: abi.ErrABIMismatch,
			Reason: "the module declares more than one ABI version; a module speaks exactly one"}
	}
	if !slices.Contains(markers, abi.VersionMarkerName) {
		reason := "no " + abi.VersionMarkerName + " export: the module declares no wasmhook ABI version"
		symbol := abi.VersionMarkerName
		if len(markers) > 0 {
			symbol = markers[0]
			reason = fmt.Sprintf("the module speaks ABI %s; this host speaks v%d", strings.TrimPrefix(markers[0], "wasmhook_abi_"), abi.Version)
		}
		return "", &abi.LoadError{File: file, Symbol: symbol, Kind: abi.ErrABIMismatch, Reason: reason}
	}
	if err := checkSignature(exports[abi.VersionMarkerName], nil, nil); err != "" {
		return "", bad(abi.VersionMarkerName, "%s", err)
	}

	var kind abi.Kind
	if fn, ok := exports[abi.OnEventName]; ok {
		if err := checkSignature(fn, []api.ValueType{i32}, []api.ValueType{i32}); err != "" {
			return "", bad(abi.OnEventName, "%s", err)
		}
		kind = abi.KindReactor
	} else if fn, ok := exports[abi.StartName]; ok {
		if err := checkSignature(fn, nil, nil); err != "" {
			return "", bad(abi.StartName, "%s", err)
		}
		kind = abi.KindCommand
	} else {
		return "", bad(abi.OnEventName, "the module exports neither %s (a reactor) nor %s (a command)", abi.OnEventName, abi.StartName)
	}
	if fn, ok := exports[abi.InitializeName]; ok && kind == abi.KindReactor {
		if err := checkSignature(fn, nil, nil); err != "" {
			return "", bad(abi.InitializeName, "%s", err)
		}
	}

	mem, ok := c.ExportedMemories()[abi.MemoryName]
	if !ok {
		return "", bad(abi.MemoryName, "the module exports no memory named %q", abi.MemoryName)
	}
	if min := uint64(mem.Min()) * pageSize; min > uint64(limits.MemoryBytes) {
		return "", &abi.LoadError{File: file, Symbol: abi.MemoryName, Kind: abi.ErrBadModule,
			Reason: fmt.Sprintf("the module needs %d bytes of memory at start; its memory limit is %d", min, limits.MemoryBytes)}
	}
	for _, m := range c.ImportedMemories() {
		mod, name, _ := m.Import()
		return "", bad(mod+"."+name, "imports a memory; a module must define and export its own")
	}

	for _, fn := range c.ImportedFunctions() {
		mod, name, _ := fn.Import()
		symbol := mod + "." + name
		switch mod {
		case abi.ImportModule:
			hf, ok := lookupHostFunc(name)
			if !ok {
				return "", bad(symbol, "%s has no function %q (ABI v%d)", abi.ImportModule, name, abi.Version)
			}
			if kind == abi.KindCommand && !hf.command {
				return "", bad(symbol, "commands read stdin and write stdout; %s is for reactors", name)
			}
			if err := checkSignature(fn, hf.params, hf.results); err != "" {
				return "", bad(symbol, "%s", err)
			}
		case abi.WASIModule:
			def, ok := e.wasiDefs[name]
			if !ok {
				return "", bad(symbol, "not a WASI preview 1 function")
			}
			if err := checkSignature(fn, def.ParamTypes(), def.ResultTypes()); err != "" {
				return "", bad(symbol, "%s", err)
			}
		default:
			return "", bad(symbol, "imports from module %q; only %s and %s are allowed", mod, abi.ImportModule, abi.WASIModule)
		}
	}
	return kind, nil
}

// checkSignature returns "" when fn has the given type, else what differs.
func checkSignature(fn api.FunctionDefinition, params, results []api.ValueType) string {
	if slices.Equal(fn.ParamTypes(), params) && slices.Equal(fn.ResultTypes(), results) {
		return ""
	}
	return fmt.Sprintf("has type %s; ABI v%d requires %s",
		signature(fn.ParamTypes(), fn.ResultTypes()), abi.Version, signature(params, results))
}

func signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return names(params) + " -> " + names(results)
}
