// Package testmod finds the project's test modules (testdata/wat and
// testdata/hostile) for tests in any package, wherever they run from.
package testmod

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
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
