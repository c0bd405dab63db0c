package runtime

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhook/wasmhook/abi"
)

// ModuleInfo describes a module file, whether or not it loads.
type ModuleInfo struct {
	File string
	Size int
	// Kind is abi.KindReactor or abi.KindCommand, "" when neither.
	Kind abi.Kind
	// ABI is the version marker found ("wasmhook_abi_v1"), "" for none.
	ABI string
	// Exports are function names; Imports are functions and memories, as
	// module.name.
	Exports, Imports []string
	// MemoryMinBytes and MemoryMaxBytes describe the exported memory; a max
	// of 0 means the module declares none.
	MemoryMinBytes, MemoryMaxBytes uint64
	// LoadErr is why the module would not load with the engine's limits,
	// nil when it would. It is an *abi.LoadError.
	LoadErr error
}

// Inspect describes a module and tries to load it (for a reactor, that
// creates and closes one instance).
func (e *Engine) Inspect(ctx context.Context, file string, bin []byte) ModuleInfo {
	info := ModuleInfo{File: file, Size: len(bin)}
	m, err := e.Load(ctx, strings.TrimSuffix(filepath.Base(file), ".wasm"), file, bin, ModuleOptions{})
	if err != nil {
		info.LoadErr = err
	} else {
		info.Kind = m.Kind()
		m.Close(ctx)
	}
	c, err := e.rt.CompileModule(ctx, bin)
	if err != nil {
		return info
	}
	defer c.Close(ctx)
	for name := range c.ExportedFunctions() {
		info.Exports = append(info.Exports, name)
		if strings.HasPrefix(name, abi.VersionMarkerPrefix) && info.ABI == "" {
			info.ABI = name
		}
	}
	slices.Sort(info.Exports)
	for _, fn := range c.ImportedFunctions() {
		mod, name, _ := fn.Import()
		info.Imports = append(info.Imports, mod+"."+name)
	}
	for _, mem := range c.ImportedMemories() {
		mod, name, _ := mem.Import()
		info.Imports = append(info.Imports, mod+"."+name+" (memory)")
	}
	if mem, ok := c.ExportedMemories()[abi.MemoryName]; ok {
		info.MemoryMinBytes = uint64(mem.Min()) * pageSize
		if max, ok := mem.Max(); ok {
			info.MemoryMaxBytes = uint64(max) * pageSize
		}
	}
	if info.Kind == "" && info.LoadErr != nil {
		info.Kind = guessKind(c.ExportedFunctions())
	}
	return info
}

func guessKind(exports map[string]api.FunctionDefinition) abi.Kind {
	if _, ok := exports[abi.OnEventName]; ok {
		return abi.KindReactor
	}
	if _, ok := exports[abi.StartName]; ok {
		return abi.KindCommand
	}
	return ""
}
