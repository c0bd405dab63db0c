// Command wasmhook runs wasmhook callback modules on webhook events, for
// plugin authors and operators:
//
//	wasmhook run [--modules DIR | FILE.wasm...] [--event FILE|-] [-v]  enrich one event, print the payload
//	wasmhook test [DIR | FILE.wasm...]                                 check a plugin against its fixtures
//	wasmhook new LANGUAGE NAME                                         write a plugin skeleton
//	wasmhook inspect FILE.wasm...                                      what a module is and whether it loads
//	wasmhook bench [--modules DIR | FILE.wasm...] [-n N] [-c CONC]     latency, start time, memory vs limits
//	wasmhook sign [--secret-file F] [FILE|-]                           print a body's X-Hook-Signature
//	wasmhook verify [--secret-file F] --signature H [FILE|-]           check one
//	wasmhook serve --config FILE                                       the relay: receive, enrich, store, deliver
//
// Exit codes: 0 success; 1 a callback failed with --strict, a bench call
// failed, a fixture did not match, a signature did not; 2 usage, load or
// input errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usageSummary = `usage: wasmhook <command> [flags]

commands:
  run       enrich one event with a directory's modules, or the modules named, and print the payload
  test      run a plugin on its fixtures (events and the context each must produce) and diff
  new       write a plugin skeleton in Go, C, Rust, AssemblyScript or WAT, with a fixture
  inspect   show what a module is, what it imports and exports, and whether it loads
  bench     measure each callback's latency, start time, memory and output against its limits
  sign      print the X-Hook-Signature of a body
  verify    check the X-Hook-Signature of a body
  serve     run the relay: receive webhooks, enrich, store and deliver them with retries
  queue     look into and repair a relay's queue: stats, list, show, retry, purge

  --version print the version of this build

Run 'wasmhook help <command>' (or 'wasmhook <command> --help') for a command's flags and examples.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr})
	stop()
	os.Exit(code)
}

// stdio are the command's streams, swapped in tests.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// exitError carries an exit code to main with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
}

// hintErr is a usage error of command cmd, with the hint that lists its
// flags: the whole usage text would bury the one line that matters.
func hintErr(cmd string, err error) error {
	return usageErr(fmt.Errorf("%s: %w; run 'wasmhook %s --help'", cmd, err, cmd))
}

var commands = map[string]func(ctx context.Context, args []string, io stdio) error{
	"run":     cmdRun,
	"test":    cmdTest,
	"new":     cmdNew,
	"inspect": cmdInspect,
	"bench":   cmdBench,
	"sign":    cmdSign,
	"serve":   cmdServe,
	"queue":   cmdQueue,
	"verify":  cmdVerify,
}

func run(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.err, usageSummary)
		return exitUsage
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(io.out, "wasmhook", buildVersion())
		return exitOK
	case "-h", "-help", "--help":
		fmt.Fprint(io.out, usageSummary)
		return exitOK
	case "help":
		if len(args) == 1 {
			fmt.Fprint(io.out, usageSummary)
			return exitOK
		}
		// help CMD is CMD --help.
		args = []string{args[1], "--help"}
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "wasmhook: unknown command %q; run 'wasmhook --help' for the commands\n", args[0])
		return exitUsage
	}
	err := cmd(ctx, args[1:], io)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(io.err, "wasmhook:", oneLine(strings.TrimPrefix(err.Error(), "wasmhook: ")))
	return code
}

// oneLine keeps the first line of a message: wazero's traps carry a stack
// that belongs in -v output, not in the one-line error.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// flags is a subcommand's flag set and its help text.
type flags struct {
	*flag.FlagSet
	usage string
	io    stdio
}

// newFlags makes a subcommand's flag set; usage is its help text, printed
// before the flags.
func newFlags(name, usage string, std stdio) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package prints an error and the whole usage on a bad flag;
	// parse prints the help itself, and only when asked for.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, usage: usage, io: std}
}

// parse parses args; -h and --help print the help on stdout (and return
// flag.ErrHelp), a bad flag is one line with a hint.
func (f *flags) parse(args []string) error {
	err := f.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(f.io.out, f.usage)
		f.SetOutput(f.io.out)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
		return err
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		// Named as it was typed: --bogus, not the flag package's -bogus.
		for _, a := range args {
			if a, _, _ = strings.Cut(a, "="); strings.TrimLeft(a, "-") == name {
				name = a
				break
			}
		}
		msg = "unknown flag " + name
	}
	return hintErr(f.Name(), errors.New(msg))
}

// readInput reads a file, or stdin for "" and "-".
func readInput(name string, in io.Reader) ([]byte, error) {
	if name == "" || name == "-" {
		return io.ReadAll(in)
	}
	return os.ReadFile(name)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
