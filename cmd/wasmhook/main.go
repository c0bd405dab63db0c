// Command wasmhook runs wasmhook callback modules on webhook events, for
// plugin authors and operators.
//
//	wasmhook run --modules DIR [--event FILE|-] [-v]
//	wasmhook sign --secret S [FILE|-]
//	wasmhook verify --secret S --signature H [FILE|-]
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
)

// version is set by the linker (-X main.version=...).
var version = "dev"

//go:embed sample-event.json
var sampleEvent []byte

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // a callback failed with --strict; a signature that does not match
	exitUsage    = 2 // usage, load or input errors
	usageSummary = `usage: wasmhook <command> [flags]

commands:
  run      enrich one event with the modules of a directory and print the payload
  sign     print the X-Hook-Signature of a body
  verify   check the X-Hook-Signature of a body

Run 'wasmhook <command> --help' for a command's flags and an example.
`
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries an exit code to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageSummary)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdin, stdout, stderr)
	case "sign":
		err = cmdSign(args[1:], stdin, stdout, stderr)
	case "verify":
		err = cmdVerify(args[1:], stdin, stdout, stderr)
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, "wasmhook", version)
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageSummary)
		return exitOK
	default:
		fmt.Fprintf(stderr, "wasmhook: unknown command %q\n%s", args[0], usageSummary)
		return exitUsage
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "wasmhook:", oneLine(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "wasmhook:", oneLine(err.Error()))
	return exitUsage
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "" || name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run", `usage: wasmhook run --modules DIR [--event FILE|-] [flags]

Enriches one event with every module of DIR, in file-name order, and prints
the payload. Without --event, a bundled sample NetBox event is used.

example:
  wasmhook run --modules ./plugins --event event.json -v

flags:
`, stderr)
	dir := fs.String("modules", "", "modules directory (required)")
	eventFile := fs.String("event", "", "event JSON file, - for stdin (default: a bundled sample event)")
	verbose := fs.Bool("v", false, "print a line per callback on stderr")
	strict := fs.Bool("strict", false, "exit 1 when a callback fails")
	timeout := fs.Duration("timeout", 0, "per-call time limit (default "+wasmhook.DefaultLimits.Timeout.String()+")")
	memory := fs.Uint64("memory", 0, fmt.Sprintf("per-instance memory limit in bytes (default %d)", wasmhook.DefaultLimits.MemoryBytes))
	output := fs.Int("output-limit", 0, fmt.Sprintf("per-call output limit in bytes (default %d)", wasmhook.DefaultLimits.OutputBytes))
	cache := fs.String("cache-dir", "", "compilation cache directory")
	var configs configFlag
	fs.Var(&configs, "config", "NAME=JSON: a module's configuration (repeatable)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *dir == "" {
		return usageErr(errors.New("run: --modules is required"))
	}
	raw := sampleEvent
	if *eventFile != "" {
		var err error
		if raw, err = readInput(*eventFile, stdin); err != nil {
			return usageErr(fmt.Errorf("event: %w", err))
		}
	}
	var ev wasmhook.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return usageErr(fmt.Errorf("event %s: %w", orStdin(*eventFile), err))
	}
	logLevel := slog.LevelWarn
	if *verbose {
		logLevel = slog.LevelDebug
	}
	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir:                 *dir,
		Limits:              wasmhook.Limits{Timeout: *timeout, MemoryBytes: *memory, OutputBytes: *output},
		Modules:             configs.modules(),
		CompilationCacheDir: *cache,
		Logger:              slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel})),
	})
	if err != nil {
		return usageErr(err)
	}
	defer e.Close(ctx)
	res, err := e.Enrich(ctx, &ev)
	if err != nil {
		return usageErr(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, res.Payload, "", "  "); err != nil {
		out.Reset()
		out.Write(res.Payload)
	}
	out.WriteByte('\n')
	stdout.Write(out.Bytes())
	if *verbose {
		for _, rep := range res.Reports {
			status := "ok"
			if rep.Err != nil {
				status = rep.Err.Error()
			}
			fmt.Fprintf(stderr, "%-20s %-8s %10s %6dB  %s\n", rep.Callback, rep.Kind, rep.Duration.Round(time.Microsecond), rep.OutputBytes, oneLine(status))
		}
	}
	if *strict && len(res.Failed()) > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d callback(s) failed", len(res.Failed()))}
	}
	return nil
}

func orStdin(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
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

func (c configFlag) modules() map[string]wasmhook.ModuleOptions {
	if len(c) == 0 {
		return nil
	}
	m := make(map[string]wasmhook.ModuleOptions, len(c))
	for name, cfg := range c {
		m[name] = wasmhook.ModuleOptions{Config: []byte(cfg)}
	}
	return m
}

func cmdSign(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("sign", `usage: wasmhook sign --secret S [FILE|-]

Prints the X-Hook-Signature of a body: the lowercase hex HMAC-SHA512 of its
exact bytes, keyed with the secret.

example:
  wasmhook sign --secret s3cr3t body.json

flags:
`, stderr)
	secret := fs.String("secret", "", "the webhook secret (required)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *secret == "" {
		return usageErr(errors.New("sign: --secret is required"))
	}
	body, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return usageErr(err)
	}
	fmt.Fprintln(stdout, wasmhook.Sign(*secret, body))
	return nil
}

func cmdVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", `usage: wasmhook verify --secret S --signature H [FILE|-]

Checks a body's X-Hook-Signature; exits 1 when it does not match.

example:
  wasmhook verify --secret s3cr3t --signature 356f47... body.json

flags:
`, stderr)
	secret := fs.String("secret", "", "the webhook secret (required)")
	sig := fs.String("signature", "", "the X-Hook-Signature value (required)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *secret == "" || *sig == "" {
		return usageErr(errors.New("verify: --secret and --signature are required"))
	}
	body, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		return usageErr(err)
	}
	if !wasmhook.Verify(*secret, body, strings.TrimSpace(*sig)) {
		return &exitError{code: exitFailed, err: errors.New("signature does not match")}
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
