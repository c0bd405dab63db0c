package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/units"
)

//go:embed sample-event.json
var sampleEvent []byte

// enricherFlags are the flags run and bench share: the modules, the
// event, the limits and the compilation cache.
type enricherFlags struct {
	dir, event, cache string
	timeout           time.Duration
	memory            byteSize
	output            byteSize
	configs           configFlag
	skipInvalid       bool
}

func (f *enricherFlags) register(fs *flag.FlagSet) {
	d := wasmhook.DefaultLimits()
	fs.StringVar(&f.dir, "modules", "", "modules directory (required)")
	fs.StringVar(&f.event, "event", "", "event JSON file, - for stdin (default: a bundled sample NetBox event)")
	fs.StringVar(&f.cache, "cache-dir", "", "compilation cache directory: later runs start faster")
	fs.DurationVar(&f.timeout, "timeout", 0, "time limit per call (default "+d.Timeout.String()+")")
	fs.Var(&f.memory, "memory", "memory limit per instance, e.g. 32MiB (default "+formatBytes(uint64(d.MemoryBytes))+")")
	fs.Var(&f.output, "output-limit", "output limit per call, e.g. 16KiB (default "+formatBytes(uint64(d.OutputBytes))+")")
	fs.Var(&f.configs, "config", "NAME=JSON: the configuration of module NAME (repeatable)")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "load the valid modules and report the others, instead of failing")
}

// open validates the flags, reads the event and loads the modules.
func (f *enricherFlags) open(ctx context.Context, cmd string, io stdio, logger *slog.Logger) (*wasmhook.Enricher, *wasmhook.Event, error) {
	if f.dir == "" {
		return nil, nil, usageErr(fmt.Errorf("%s: --modules is required", cmd))
	}
	raw := sampleEvent
	if f.event != "" {
		var err error
		if raw, err = readInput(f.event, io.in); err != nil {
			return nil, nil, usageErr(fmt.Errorf("event: %w", err))
		}
	}
	ev := new(wasmhook.Event)
	if err := json.Unmarshal(raw, ev); err != nil {
		return nil, nil, usageErr(fmt.Errorf("event %s: %w", f.eventName(), err))
	}
	modules, err := f.configs.modules()
	if err != nil {
		return nil, nil, usageErr(err)
	}
	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir: f.dir,
		Limits: wasmhook.Limits{
			Timeout:     f.timeout,
			MemoryBytes: wasmhook.Bytes(f.memory),
			OutputBytes: wasmhook.Bytes(f.output),
		},
		Modules:             modules,
		SkipInvalid:         f.skipInvalid,
		CompilationCacheDir: f.cache,
		Logger:              logger,
	})
	if err != nil {
		return nil, nil, usageErr(err)
	}
	return e, ev, nil
}

func (f *enricherFlags) eventName() string {
	switch f.event {
	case "":
		return "(bundled sample)"
	case "-":
		return "stdin"
	}
	return f.event
}

// configFlag collects --config NAME=JSON.
type configFlag map[string]string

func (c *configFlag) String() string { return "" }

func (c *configFlag) Set(v string) error {
	name, cfg, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=JSON")
	}
	if *c == nil {
		*c = configFlag{}
	}
	(*c)[name] = cfg
	return nil
}

func (c configFlag) modules() (map[string]wasmhook.ModuleSettings, error) {
	if len(c) == 0 {
		return nil, nil
	}
	m := make(map[string]wasmhook.ModuleSettings, len(c))
	for name, cfg := range c {
		if !json.Valid([]byte(cfg)) {
			return nil, fmt.Errorf("--config %s: not JSON: %s", name, cfg)
		}
		m[name] = wasmhook.ModuleSettings{Config: []byte(cfg)}
	}
	return m, nil
}

// byteSize is a flag of bytes: 1048576, 1MiB, 512KiB, 64kB.
type byteSize uint64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return formatBytes(uint64(*b))
}

func (b *byteSize) Set(s string) error {
	n, err := units.ParseBytes(s)
	*b = byteSize(n)
	return err
}

var formatBytes = units.FormatBytes
