// Command wasmhook runs wasmhook callback modules on webhook events, for
// plugin authors and operators:
//
//	wasmhook run --modules DIR [--event FILE|-] [-v]        enrich one event, print the payload
//	wasmhook inspect FILE.wasm...                           what a module is and whether it loads
//	wasmhook bench --modules DIR [-n N] [-c CONCURRENCY]    latency, start time, memory vs limits
//	wasmhook sign --secret S [FILE|-]                       print a body's X-Hook-Signature
//	wasmhook verify --secret S --signature H [FILE|-]       check one
//
// Exit codes: 0 success; 1 a callback failed with --strict, a signature
// that does not match; 2 usage, load or input errors.
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

// version is set by the linker: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usageSummary = `usage: wasmhook <command> [flags]

commands:
  run       enrich one event with the modules of a directory and print the payload
  inspect   show what a module is, what it imports and exports, and whether it loads
  bench     measure each callback's latency, start time, memory and output against its limits
  sign      print the X-Hook-Signature of a body
  verify    check the X-Hook-Signature of a body

Run 'wasmhook <command> --help' for a command's flags and an example.
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

var commands = map[string]func(ctx context.Context, args []string, io stdio) error{
	"run":     cmdRun,
	"inspect": cmdInspect,
	"bench":   cmdBench,
	"sign":    cmdSign,
	"verify":  cmdVerify,
}

func run(ctx context.Context, args []string, io stdio) int {
	if len(args) == 0 {
		fmt.Fprint(io.err, usageSummary)
		return exitUsage
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(io.out, "wasmhook", version)
		return exitOK
	case "-h", "-help", "--help", "help":
		fmt.Fprint(io.out, usageSummary)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "wasmhook: unknown command %q; 'wasmhook --help' lists the commands\n", args[0])
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

// newFlags makes a subcommand's flag set; usage is its help text, printed
// before the flags.
func newFlags(name, usage string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		fmt.Fprint(io.err, usage)
		fs.PrintDefaults()
	}
	return fs
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
