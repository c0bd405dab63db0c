package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wasmhook/wasmhook"
)

const runUsage = `usage: wasmhook run --modules DIR [--event FILE|-] [flags]

Enriches one event with every module of DIR, run in file-name order, and
prints the payload: indented on a terminal (with a newline after it);
compact when piped or with --compact: the exact bytes a webhook would
carry, with no newline after them, so that a pipe into 'wasmhook sign'
signs the payload itself. With --watch, every payload printed ends with a
newline (one payload a line). Without --event, a bundled sample NetBox
event (a dcim.site update) is used.

examples:
  wasmhook run --modules ./plugins -v
  wasmhook run --modules ./plugins --event event.json --config 'geo={"namespace":"geo"}'
  curl -s https://netbox.example/… | wasmhook run --modules ./plugins --event - --compact
  wasmhook run --modules ./plugins --watch      # re-run on every change, while you edit a plugin

A settings file in DIR (wasmhook.yaml or wasmhook.json) sets each module's
configuration, limits, order, enabled state and failure policy; flags set
the limits of every module.

flags:
`

func cmdRun(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("run", runUsage, io)
	var ef enricherFlags
	ef.register(fs)
	verbose := fs.Bool("v", false, "print a report line per callback on stderr, and guest logs")
	strict := fs.Bool("strict", false, "exit 1 when a callback fails")
	indent := fs.Bool("indent", false, "indent the payload even when piped")
	compact := fs.Bool("compact", false, "print the payload's exact bytes, with no newline after them, even on a terminal")
	watch := fs.Bool("watch", false, "keep running: reload the modules and enrich the event again on every change (Ctrl-C stops)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("run: unexpected argument %q", fs.Arg(0)))
	}
	if *indent && *compact {
		return usageErr(fmt.Errorf("run: --indent and --compact exclude each other"))
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	e, ev, err := ef.open(ctx, "run", io, slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: level})))
	if err != nil {
		return err
	}
	defer e.Close(ctx)

	enrich := func() error {
		res, err := e.Enrich(ctx, ev)
		if err != nil && res == nil {
			return usageErr(err)
		}
		if res.Payload != nil {
			out := res.Payload
			indented := *indent || (!*compact && isTerminal(io.out))
			if indented {
				var b bytes.Buffer
				if json.Indent(&b, res.Payload, "", "  ") == nil {
					out = b.Bytes()
				}
			}
			io.out.Write(out)
			// The compact payload is the body as sent, to the byte; a
			// stream of them (--watch) needs a separator.
			if indented || *watch {
				io.out.Write([]byte("\n"))
			}
		}
		if *verbose {
			printReports(io, res.Reports)
		}
		if err != nil { // a callback with the FailEvent policy failed
			return &exitError{code: exitFailed, err: err}
		}
		if failed := res.Failed(); *strict && len(failed) > 0 {
			return &exitError{code: exitFailed, err: fmt.Errorf("%d of %d callbacks failed; first: %v", len(failed), len(res.Reports), failed[0].Err)}
		}
		return nil
	}
	err = enrich()
	if !*watch {
		return err
	}
	if err != nil {
		fmt.Fprintln(io.err, "wasmhook:", oneLine(err.Error()))
	}
	fmt.Fprintf(io.err, "wasmhook: watching %s; Ctrl-C stops\n", ef.dir)
	werr := e.Watch(ctx, wasmhook.WatchOptions{OnReload: func(res *wasmhook.ReloadResult, err error) {
		switch {
		case err != nil:
			fmt.Fprintln(io.err, "wasmhook: reload failed, previous modules kept:", oneLine(strings.TrimPrefix(err.Error(), "wasmhook: ")))
		case res.Compiled > 0 || res.Removed > 0:
			fmt.Fprintf(io.err, "wasmhook: reloaded: %d callbacks (%d compiled, %d removed)\n", len(res.Callbacks), res.Compiled, res.Removed)
			if err := enrich(); err != nil {
				fmt.Fprintln(io.err, "wasmhook:", oneLine(err.Error()))
			}
		}
	}})
	if errors.Is(werr, context.Canceled) {
		return nil
	}
	return werr
}

func printReports(io stdio, reports []wasmhook.Report) {
	tw := tabwriter.NewWriter(io.err, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "callback\tkind\ttime\toutput\t\tresult\t")
	for _, rep := range reports {
		result := "ok"
		if rep.Err != nil {
			result = oneLine(rep.Err.Error())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%s\t\n", rep.Callback, rep.Kind, rep.Duration.Round(time.Microsecond), formatBytes(uint64(rep.OutputBytes)), result)
	}
	tw.Flush()
}
