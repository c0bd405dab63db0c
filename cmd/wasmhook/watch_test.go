package main_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// watcher is a running run --watch: its stdout and stderr, line by line.
type watcher struct {
	t           *testing.T
	cmd         *exec.Cmd
	out, errs   chan string
	mu          sync.Mutex
	stderr      []string
	readersDone sync.WaitGroup
}

func startWatch(t *testing.T, args ...string) *watcher {
	t.Helper()
	w := &watcher{t: t, cmd: command(binary, append([]string{"run", "--watch", "--compact"}, args...)...),
		out: make(chan string, 100), errs: make(chan string, 100)}
	stdout, err := w.cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := w.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, w.cmd.Start())
	t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	lines := func(r io.Reader, ch chan string, keep bool) {
		defer w.readersDone.Done()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if keep {
				w.mu.Lock()
				w.stderr = append(w.stderr, sc.Text())
				w.mu.Unlock()
			}
			ch <- sc.Text()
		}
		close(ch)
	}
	w.readersDone.Add(2)
	go lines(stdout, w.out, false)
	go lines(stderr, w.errs, true)
	return w
}

// next returns the next line of ch that has prefix.
func (w *watcher) next(ch chan string, prefix string) string {
	w.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				w.t.Fatalf("output ended before a line starting %q; stderr: %s", prefix, w.stderrText())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			w.t.Fatalf("no line starting %q; stderr: %s", prefix, w.stderrText())
		}
	}
}

func (w *watcher) stderrText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.stderr, "\n")
}

// stop interrupts the command and returns all it wrote on stderr.
func (w *watcher) stop() string {
	w.t.Helper()
	require.NoError(w.t, w.cmd.Process.Signal(os.Interrupt))
	for range w.out {
	}
	for range w.errs {
	}
	w.readersDone.Wait()
	require.NoError(w.t, w.cmd.Wait(), w.stderrText())
	return w.stderrText()
}

// replace writes b to file the safe way: a dotfile renamed over it.
func replace(t *testing.T, file string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(file), ".tmp-"+filepath.Base(file))
	require.NoError(t, os.WriteFile(tmp, b, 0o644))
	require.NoError(t, os.Rename(tmp, file))
}

// TestWatchLines: run --watch prints one line per reload, a failure once
// (not again on every rescan that finds it) and a line when a failed
// reload is fixed, and none of the library's own reload log lines.
func TestWatchLines(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed"})
	w := startWatch(t, "--modules", dir)
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(w.next(w.out, "{"))))
	w.next(w.errs, "wasmhook: watching ") // printed once the watches are in place

	bad := filepath.Join(dir, "20-branch.wasm")
	replace(t, bad, []byte("not wasm"))
	line := w.next(w.errs, "wasmhook: reload")
	assert.Equal(t, "wasmhook: reload failed, previous modules kept: load "+bad+": bad module: not a WebAssembly module (no \\0asm header)", line)

	replace(t, bad, testmod.Read(t, "active_branch"))
	assert.Equal(t, "wasmhook: reload fixed: 2 callbacks (1 compiled, 0 removed)", w.next(w.errs, "wasmhook: reload"))
	assert.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil}, testmod.ContextOf(t, []byte(w.next(w.out, "{"))))

	require.NoError(t, os.Remove(bad))
	assert.Equal(t, "wasmhook: reloaded: 1 callbacks (0 compiled, 1 removed)", w.next(w.errs, "wasmhook: reload"))
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(w.next(w.out, "{"))))

	stderr := w.stop()
	assert.Equal(t, 1, strings.Count(stderr, "reload failed"), stderr)
	assert.Equal(t, 3, strings.Count(stderr, "wasmhook: reload"), "one line per reload: %s", stderr)
	assert.NotContains(t, stderr, "level=", "no library log line beside the watch lines")
}

// TestWatchModuleFiles: with module files named, run --watch reloads when
// one of them is replaced.
func TestWatchModuleFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plugin.wasm")
	require.NoError(t, os.WriteFile(file, testmod.Read(t, "fixed"), 0o644))
	w := startWatch(t, file)
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(w.next(w.out, "{"))))
	assert.Equal(t, "wasmhook: watching "+file+"; Ctrl-C stops", w.next(w.errs, "wasmhook: watching"),
		"printed once the watches are in place")

	replace(t, file, testmod.Read(t, "active_branch"))
	assert.Equal(t, "wasmhook: reloaded: 1 callbacks (1 compiled, 1 removed)", w.next(w.errs, "wasmhook: reload"))
	assert.Equal(t, map[string]any{"active_branch": nil}, testmod.ContextOf(t, []byte(w.next(w.out, "{"))))
	w.stop()
}
