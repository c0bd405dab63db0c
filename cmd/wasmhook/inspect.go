package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/wasmhook/wasmhook/runtime"
)

const inspectUsage = `usage: wasmhook inspect FILE.wasm...

Prints one line per module: its kind and ABI version, size, memory minimum
and maximum, exports and imports, and whether it loads with the default
limits and, if not, why. Exits 2 when a module does not load.

example:
  wasmhook inspect plugins/*.wasm

flags:
`

func cmdInspect(ctx context.Context, args []string, stdio stdio) error {
	fs := newFlags("inspect", inspectUsage, stdio)
	if err := fs.parse(args); err != nil {
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
	for _, file := range fs.Args() {
		bin, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stdio.out, "%s: cannot read: %v\n", file, unwrapPath(err))
			bad++
			continue
		}
		info := eng.Inspect(ctx, file, bin)
		fmt.Fprintln(stdio.out, describe(info))
		if info.LoadErr != nil {
			bad++
		}
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
	return fmt.Sprintf("%s: %s, %s, %s, memory %s..%s, exports [%s], imports [%s]: %s",
		info.File, kind, abi, formatBytes(uint64(info.Size)), formatBytes(info.MemoryMinBytes), max,
		strings.Join(info.Exports, " "), strings.Join(info.Imports, " "), status)
}
