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

const runUsage = `usage: wasmhook run [flags] FILE.wasm...
       wasmhook run [flags] --modules DIR

Enriches one event with the modules named, run in the order given, or
with every module of DIR, run in file-name order (or the order of DIR's
settings file), and prints the payload: indented on a terminal (with a
newline after it); compact when piped or with --compact: the exact bytes
a webhook would carry, with no newline after them, so that a pipe into
'wasmhook sign' signs the payload itself. With --watch, every payload
printed ends with a newline (one payload a line). With --json, a report
is printed instead: the payload and, per callback, its kind, time, output
size, peak memory and error class.

Without --event, a bundled sample NetBox event (a dcim.site update) is used.
` + eventFormats + `
Compiled modules are cached in the compilation cache directory, so that a
later run starts fast (a Go plugin compiles in most of a second); --no-cache
turns that off.

examples:
  wasmhook run plugin.wasm -v
  wasmhook run 10-branch.wasm geo.wasm --event event.json --config 'geo={"namespace":"geo"}'
  wasmhook run --modules ./plugins --event captured-netbox-body.json --json
  curl -s https://netbox.example/… | wasmhook run --modules ./plugins --event - --compact
  wasmhook run plugin.wasm --watch      # re-run on every change, while you edit the plugin

A settings file in DIR (wasmhook.yaml or wasmhook.json) sets each module's
configuration, limits, order, enabled state and failure policy; flags set
the limits of every module.

flags:
`

func cmdRun(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("run", runUsage, io)
	var ef enricherFlags
	ef.register(fs.FlagSet)
	verbose := fs.Bool("v", false, "print a report line per callback on stderr, and guest logs")
	strict := fs.Bool("strict", false, "exit 1 when a callback fails")
	indent := fs.Bool("indent", false, "indent the payload even when piped")
	compact := fs.Bool("compact", false, "print the payload's exact bytes, with no newline after them, even on a terminal")
	jsonOut := fs.Bool("json", false, "print a JSON report (the payload and a line per callback) instead of the payload")
	watch := fs.Bool("watch", false, "keep running: reload the modules and enrich the event again on every change (Ctrl-C stops)")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if err := ef.modules("run", fs.Args()); err != nil {
		return err
	}
	if *indent && *compact {
		return hintErr("run", errors.New("--indent and --compact exclude each other"))
	}
	raw, err := ef.readEvent(io)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	var handler slog.Handler = slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: level})
	if *watch {
		// The watch loop prints one line per reload itself.
		handler = dropReloadLogs{handler}
	}
	e, err := ef.open(ctx, io, slog.New(handler))
	if err != nil {
		return err
	}
	defer e.close(ctx)

	enrich := func() error {
		res, err := e.Enrich(ctx, raw)
		if err != nil && res == nil {
			if errors.Is(err, wasmhook.ErrInvalidEvent) {
				err = fmt.Errorf("event %s: %w", eventName(ef.event), err)
			}
			return usageErr(err)
		}
		indented := *indent || (!*compact && !*watch && isTerminal(io.out))
		switch {
		case *jsonOut:
			// One report a line with --watch.
			writeJSON(io.out, newRunReport(e, ef.event, res), !*compact && !*watch)
		case res.Payload != nil:
			out := res.Payload
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
	werr := e.Watch(ctx, wasmhook.WatchOptions{OnReload: watchLines(io, ef.where(), enrich)})
	if errors.Is(werr, context.Canceled) {
		return nil
	}
	return werr
}

// watchLines prints one line per reload that changed something or failed
// (a failure repeated by the periodic rescan is not printed again), and a
// line when a reload succeeds after a failure; then it enriches again.
// Watch's first reload, when its watches are in place, prints "watching".
func watchLines(io stdio, where string, enrich func() error) func(*wasmhook.ReloadResult, error) {
	var failed string
	started := false
	return func(res *wasmhook.ReloadResult, err error) {
		if !started {
			fmt.Fprintf(io.err, "wasmhook: watching %s; Ctrl-C stops\n", where)
			started = true
		}
		summary := func() string {
			return fmt.Sprintf("%d callbacks (%d compiled, %d removed)", len(res.Callbacks), res.Compiled, res.Removed)
		}
		switch {
		case err != nil:
			msg := oneLine(strings.TrimPrefix(err.Error(), "wasmhook: "))
			if msg != failed {
				fmt.Fprintln(io.err, "wasmhook: reload failed, previous modules kept:", msg)
			}
			failed = msg
			return
		case failed != "":
			fmt.Fprintln(io.err, "wasmhook: reload fixed:", summary())
		case res.Compiled > 0 || res.Removed > 0:
			fmt.Fprintln(io.err, "wasmhook: reloaded:", summary())
		default:
			return
		}
		failed = ""
		if err := enrich(); err != nil {
			fmt.Fprintln(io.err, "wasmhook:", oneLine(err.Error()))
		}
	}
}

// dropReloadLogs drops the library's own reload log lines, which the
// watch loop replaces with one line each.
type dropReloadLogs struct{ slog.Handler }

func (h dropReloadLogs) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "wasmhook: reload") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h dropReloadLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return dropReloadLogs{h.Handler.WithAttrs(attrs)}
}

func (h dropReloadLogs) WithGroup(name string) slog.Handler {
	return dropReloadLogs{h.Handler.WithGroup(name)}
}

func printReports(io stdio, reports []wasmhook.Report) {
	tw := tabwriter.NewWriter(io.err, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "callback\tkind\ttime\toutput\t\tresult\t")
	for _, rep := range reports {
		result := "ok"
		if rep.Err != nil {
			result = oneLine(rep.Err.Error())
		}
		if rep.Nest != "" {
			result += fmt.Sprintf(", nested under %q", rep.Nest)
		}
		for _, o := range rep.Overwrote {
			result += fmt.Sprintf(", overwrote %q of %s", o.Key, o.Callback)
		}
		if rep.Requests+rep.CacheHits > 0 {
			result += fmt.Sprintf(", %d HTTP requests (%s waited), %d cache hits", rep.Requests, rep.Waited.Round(time.Microsecond), rep.CacheHits)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%s\t\n", rep.Callback, rep.Kind, rep.Duration.Round(time.Microsecond), formatBytes(uint64(rep.OutputBytes)), result)
	}
	tw.Flush()
}

// parseInterspersed parses flags that may come after the arguments as
// well as before them (wasmhook run plugin.wasm -v): the flag package
// stops at the first argument.
func parseInterspersed(fs *flags, args []string) error {
	var rest []string
	for {
		if err := fs.parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			rest = append(rest, args[1:]...)
			break
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, rest...)) // records the arguments
}
