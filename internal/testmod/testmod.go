// Package testmod gives tests in any package the project's test modules
// and helpers, wherever they run from: the WAT and hostile modules
// (testdata/wat, testdata/hostile), Go guests built for wasip1 (BuildGo)
// and precompiled into the tests' compilation cache (Precompile), the
// payload's context (ContextOf), and processes that die with the test
// (DiesWithTest).
package testmod

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Root is the project's root directory.
var Root = func() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// dirs are searched in order for a module by name.
var dirs = []string{"testdata/wat", "testdata/hostile"}

// Path returns the file of the test module name (without ".wasm").
func Path(name string) string {
	for _, d := range dirs {
		p := filepath.Join(Root, d, name+".wasm")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join(Root, dirs[0], name+".wasm")
}

// Read returns the bytes of the test module name.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(name))
	if err != nil {
		t.Fatalf("test module %s: %v", name, err)
	}
	return b
}

// Dir makes a temporary directory holding test modules: each key is the
// file name to use (without ".wasm"), each value the test module's name.
// A value that is an existing file path is copied as it is.
func Dir(t testing.TB, mods map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for dst, src := range mods {
		var b []byte
		if _, err := os.Stat(src); err == nil && filepath.IsAbs(src) {
			if b, err = os.ReadFile(src); err != nil {
				t.Fatal(err)
			}
		} else {
			b = Read(t, src)
		}
		if err := os.WriteFile(filepath.Join(dir, dst+".wasm"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Precompile compiles files into the wazero compilation cache cacheDir,
// once for each of memoryLimits (none, or 0: the default limit), with the
// program in ./precompile, which `go run` builds without -race. An engine
// of a test with the same CompilationCacheDir then loads those files with
// one of those memory limits from the cache: under -race, where wazero's
// compiler is instrumented too, compiling a Go guest itself would cost the
// test tens of seconds of CPU. It is an optimization only: a module the
// cache lacks is compiled by the engine that loads it.
func Precompile(cacheDir string, memoryLimits []uint64, files ...string) error {
	// The program runs in Root: every path is made absolute.
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	// wazero keeps its cache in a directory named after its version, read
	// from the build information, which a test binary lacks: there it is
	// "dev". The program says the same, or the tests would not find it.
	args := []string{"run", "-ldflags=-X=github.com/tetratelabs/wazero/internal/version.version=dev",
		"github.com/wasmhook/wasmhook/internal/testmod/precompile", "-cache", abs(cacheDir)}
	if len(memoryLimits) > 0 {
		limits := make([]string, len(memoryLimits))
		for i, l := range memoryLimits {
			limits[i] = strconv.FormatUint(l, 10)
		}
		args = append(args, "-memory", strings.Join(limits, ","))
	}
	for _, f := range files {
		args = append(args, abs(f))
	}
	// go test puts its own go first on PATH.
	cmd := exec.Command("go", args...)
	cmd.Dir = Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("precompiling %s: %v\n%s", strings.Join(files, " "), err, out)
	}
	return nil
}

// LogBuffer collects log output from many goroutines; String reads it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Logger returns a text logger at debug level writing to w, which must be
// safe for concurrent use (a LogBuffer, io.Discard).
func Logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
