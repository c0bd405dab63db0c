package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

const inspectUsage = `usage: wasmhook inspect [--json] FILE.wasm...

Prints one line per module: its kind and ABI version, size, memory minimum
and maximum, exports and imports, the capabilities its imports ask for,
and whether it loads with the default limits and, if not, why. With
--json, the same as a JSON array, one object per module. Exits 2 when a
module does not load.

Capabilities: input, configuration, output, logs, field reads (the
event's values by path), http (needs a grant in the settings file:
nothing is reachable without one), key-value store (the module's own
keys), wasi (stubs: no files, no network, no environment); an import
that is none of these is flagged as unknown (such a module does not load).

example:
  wasmhook inspect plugins/*.wasm
  wasmhook inspect --json plugin.wasm

flags:
`

func cmdInspect(ctx context.Context, args []string, stdio stdio) error {
	fs := newFlags("inspect", inspectUsage, stdio)
	jsonOut := fs.Bool("json", false, "print a JSON array, one object per module, instead of a line per module")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return hintErr("inspect", errors.New("name at least one module file"))
	}
	eng, err := runtime.NewEngine(ctx, runtime.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer eng.Close(ctx)
	bad := 0
	reports := []inspectReport{}
	for _, file := range fs.Args() {
		bin, err := os.ReadFile(file)
		if err != nil {
			if *jsonOut {
				reports = append(reports, inspectReport{File: file, Error: "cannot read: " + unwrapPath(err).Error()})
			} else {
				fmt.Fprintf(stdio.out, "%s: cannot read: %v\n", file, unwrapPath(err))
			}
			bad++
			continue
		}
		info := eng.Inspect(ctx, file, bin)
		if *jsonOut {
			reports = append(reports, newInspectReport(info))
		} else {
			fmt.Fprintln(stdio.out, describe(info))
		}
		if info.LoadErr != nil {
			bad++
		}
	}
	if *jsonOut {
		writeJSON(stdio.out, reports, true)
	}
	if bad > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("%d of %d modules do not load", bad, fs.NArg())}
	}
	return nil
}

func describe(info runtime.ModuleInfo) string {
	kind := string(info.Kind)
	if kind == "" {
		kind = "unknown kind"
	}
	abi := strings.TrimPrefix(info.ABI, "wasmhook_abi_")
	if abi == "" {
		abi = "no ABI"
	} else {
		abi = "ABI " + abi
	}
	max := "no max"
	if info.MemoryMaxBytes > 0 {
		max = formatBytes(info.MemoryMaxBytes)
	}
	status := "loads"
	if info.LoadErr != nil {
		status = "DOES NOT LOAD: " + oneLine(strings.TrimPrefix(info.LoadErr.Error(), "load "+info.File+": "))
	}
	caps := capabilities(info.Imports)
	words := make([]string, len(caps))
	for i, c := range caps {
		words[i] = c.Name
		if c.Note != "" {
			words[i] += " (" + c.Note + ")"
		}
	}
	return fmt.Sprintf("%s: %s, %s, %s, memory %s..%s, exports [%s], imports [%s], capabilities [%s]: %s",
		info.File, kind, abi, formatBytes(uint64(info.Size)), formatBytes(info.MemoryMinBytes), max,
		strings.Join(info.Exports, " "), strings.Join(info.Imports, " "), strings.Join(words, "; "), status)
}

// capability is what a group of a module's imports lets it do.
type capability struct {
	Name    string   `json:"name"`
	Note    string   `json:"note,omitempty"`
	Imports []string `json:"imports"`
}

// The capabilities, in the order inspect lists them, and the wasmhook_v1
// imports of each (abi/SPEC.md, "Imports").
var capabilityImports = []struct {
	name, note string
	imports    []string
}{
	{"input", "", []string{abi.InputReadName}},
	{"configuration", "", []string{abi.ConfigReadName}},
	{"output", "", []string{abi.OutputSetName, abi.ErrorSetName}},
	{"logs", "", []string{abi.LogName}},
	{"field reads", "", []string{abi.FieldTypeName, abi.FieldReadName, abi.FieldStringName}},
	{"http", "needs a grant: modules.NAME.http.grants in the settings file; nothing is reachable without one", []string{abi.HTTPRequestName, abi.HTTPResponseReadName}},
	{"key-value store", "the module's own keys, bounded", []string{abi.KVGetName, abi.KVSetName, abi.KVDeleteName}},
}

const (
	wasiCapability    = "wasi"
	wasiNote          = "stubs: no files, no network, no environment"
	unknownCapability = "unknown"
	unknownNote       = "not part of ABI v1: the module does not load"
)

// capabilities groups imports (module.name, as ModuleInfo has them) into
// what they let the module do, in a fixed order; an import that none
// covers is listed under "unknown".
func capabilities(imports []string) []capability {
	var out []capability
	for _, c := range capabilityImports {
		var got []string
		for _, name := range c.imports {
			if slices.Contains(imports, abi.ImportModule+"."+name) {
				got = append(got, abi.ImportModule+"."+name)
			}
		}
		if got != nil {
			out = append(out, capability{Name: c.name, Note: c.note, Imports: got})
		}
	}
	var wasi, unknown []string
	for _, imp := range imports {
		mod, name, _ := strings.Cut(imp, ".")
		switch {
		case mod == abi.WASIModule && !strings.HasSuffix(name, " (memory)"):
			wasi = append(wasi, imp)
		case mod == abi.ImportModule && known(name):
		default:
			unknown = append(unknown, imp)
		}
	}
	if wasi != nil {
		out = append(out, capability{Name: wasiCapability, Note: wasiNote, Imports: wasi})
	}
	if unknown != nil {
		out = append(out, capability{Name: unknownCapability, Note: unknownNote, Imports: unknown})
	}
	return out
}

// known reports whether name is a wasmhook_v1 import some capability
// covers.
func known(name string) bool {
	for _, c := range capabilityImports {
		if slices.Contains(c.imports, name) {
			return true
		}
	}
	return false
}

// inspectReport is one module in inspect --json.
type inspectReport struct {
	File           string       `json:"file"`
	Kind           string       `json:"kind,omitempty"`
	ABI            string       `json:"abi,omitempty"`
	SizeBytes      int          `json:"size_bytes"`
	MemoryMinBytes uint64       `json:"memory_min_bytes"`
	MemoryMaxBytes uint64       `json:"memory_max_bytes,omitempty"`
	Exports        []string     `json:"exports"`
	Imports        []string     `json:"imports"`
	Capabilities   []capability `json:"capabilities"`
	Loads          bool         `json:"loads"`
	Error          string       `json:"error,omitempty"`
}

func newInspectReport(info runtime.ModuleInfo) inspectReport {
	r := inspectReport{
		File: info.File, Kind: string(info.Kind), ABI: info.ABI, SizeBytes: info.Size,
		MemoryMinBytes: info.MemoryMinBytes, MemoryMaxBytes: info.MemoryMaxBytes,
		Exports: info.Exports, Imports: info.Imports, Capabilities: capabilities(info.Imports),
		Loads: info.LoadErr == nil,
	}
	if r.Exports == nil {
		r.Exports = []string{}
	}
	if r.Imports == nil {
		r.Imports = []string{}
	}
	if r.Capabilities == nil {
		r.Capabilities = []capability{}
	}
	if info.LoadErr != nil {
		r.Error = strings.TrimPrefix(info.LoadErr.Error(), "load "+info.File+": ")
	}
	return r
}
