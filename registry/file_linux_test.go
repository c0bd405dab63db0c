//go:build linux

package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

// bytesRead is what this process has read with read(2) so far
// (/proc/self/io's rchar): a file read whole moves it by the file's size.
func bytesRead(t *testing.T) int64 {
	t.Helper()
	io, err := os.ReadFile("/proc/self/io")
	require.NoError(t, err)
	for _, line := range bytes.Split(io, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("rchar: ")); ok {
			n, err := strconv.ParseInt(string(v), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no rchar in /proc/self/io")
	return 0
}

// loadWithin runs LoadDir and fails the test if it does not return within
// a generous bound: a load that blocks on a file must not hang the test.
func loadWithin(t *testing.T, eng *runtime.Engine, dir string, opts registry.LoadOptions) (*registry.Loaded, error) {
	t.Helper()
	type result struct {
		l   *registry.Loaded
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := registry.LoadDir(context.Background(), eng, dir, opts)
		done <- result{l, err}
	}()
	select {
	case r := <-done:
		if r.l != nil {
			t.Cleanup(func() {
				for _, cb := range r.l.Callbacks {
					cb.Close(context.Background())
				}
			})
		}
		return r.l, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("LoadDir blocked")
		return nil, nil
	}
}

// unblockFIFO opens a named pipe for writing and closes it, so that a
// reader blocked opening it (the bug under test) returns.
func unblockFIFO(path string) {
	if fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		syscall.Close(fd)
	}
}

// sparse makes a file of size bytes starting with head, without writing
// the rest (a hole reads as zeros).
func sparse(t *testing.T, path string, head []byte, size int64) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = f.Write(head)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
}

// TestModuleFilesThatAreNotRegularFiles: a module file that is a named
// pipe, a device, a socket or a directory (itself or through a symbolic
// link) is refused at once, naming the file and what it is; nothing
// blocks, and with SkipInvalid the rest loads.
func TestModuleFilesThatAreNotRegularFiles(t *testing.T) {
	cases := []struct {
		name   string
		make   func(t *testing.T, path string)
		reason string
	}{
		{"fifo", func(t *testing.T, p string) {
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			t.Cleanup(func() { unblockFIFO(p) })
		}, "not a regular file (a named pipe)"},
		{"fifo-symlink", func(t *testing.T, p string) {
			require.NoError(t, syscall.Mkfifo(p+".fifo", 0o644))
			require.NoError(t, os.Symlink(p+".fifo", p))
			t.Cleanup(func() { unblockFIFO(p) })
		}, "not a regular file (a named pipe)"},
		{"dev-zero", func(t *testing.T, p string) { require.NoError(t, os.Symlink("/dev/zero", p)) }, "not a regular file (a character device)"},
		{"directory", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }, "not a regular file (a directory)"},
		{"socket", func(t *testing.T, p string) {
			l, err := net.Listen("unix", p)
			require.NoError(t, err)
			t.Cleanup(func() { l.Close() })
		}, "cannot open: no such device or address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyWAT(t, dir, "fixed", "10-good.wasm")
			bad := filepath.Join(dir, "20-"+c.name+".wasm")
			c.make(t, bad)
			eng := engine(t)

			_, err := loadWithin(t, eng, dir, registry.LoadOptions{})
			require.ErrorIs(t, err, abi.ErrBadModule)
			assert.EqualError(t, err, "load "+bad+": bad module: "+c.reason)

			l, err := loadWithin(t, eng, dir, registry.LoadOptions{SkipInvalid: true})
			require.NoError(t, err)
			assert.Equal(t, []string{"10-good"}, names(l.Callbacks))
			require.Len(t, l.Skipped, 1)
			assert.ErrorContains(t, l.Skipped[0], c.reason)
		})
	}
}

// TestModuleFileSwappedForAFIFO: module files replaced by a named pipe
// while the directory is loaded, again and again, never block a load: a
// file is opened once and the opened file is checked, so no pipe can come
// in between a check and the read.
func TestModuleFileSwappedForAFIFO(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".good"), testmod.Read(t, "fixed"), 0o644))
	fifo := filepath.Join(dir, ".fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	t.Cleanup(func() {
		for range 64 { // a reader blocked by the bug, at most one per file
			unblockFIFO(fifo)
		}
	})
	// Every module file is a link to .cur, which is swapped between a
	// link to the module and a link to the pipe, by renaming a new link
	// over it.
	const files = 32
	require.NoError(t, os.Symlink(".good", filepath.Join(dir, ".cur")))
	for i := range files {
		require.NoError(t, os.Symlink(".cur", filepath.Join(dir, fmt.Sprintf("x%02d.wasm", i))))
	}
	var stop atomic.Bool
	swapped := make(chan int)
	go func() {
		n := 0
		for ; !stop.Load(); n++ {
			target := ".good"
			if n%2 == 0 {
				target = ".fifo"
			}
			tmp := filepath.Join(dir, fmt.Sprintf(".link%d", n%2))
			os.Remove(tmp)
			if os.Symlink(target, tmp) == nil {
				os.Rename(tmp, filepath.Join(dir, ".cur"))
			}
		}
		swapped <- n
	}()
	defer func() {
		stop.Store(true)
		<-swapped
	}()

	// Each load reuses the modules of the one before (the same bytes), so
	// that it compiles nothing.
	eng := engine(t)
	var previous []registry.Callback
	loaded, refused := 0, 0
	for range 200 {
		l, err := loadWithin(t, eng, dir, registry.LoadOptions{SkipInvalid: true, Previous: previous})
		require.NoError(t, err)
		if len(l.Callbacks) > 0 {
			previous = l.Callbacks
		}
		loaded += len(l.Callbacks)
		for _, err := range l.Skipped {
			if assert.ErrorContains(t, err, ".wasm: bad module: not a regular file (a named pipe)") {
				refused++
			}
		}
	}
	t.Logf("loaded %d modules, refused the pipe %d times", loaded, refused)
}

// TestLargeFilesAreNotRead: a module file over MaxModuleBytes is refused
// before a byte of it is read, and a large file that is not a module after
// its first bytes; the limit applies on every rescan.
func TestLargeFilesAreNotRead(t *testing.T) {
	dir := t.TempDir()
	copyWAT(t, dir, "fixed", "10-good.wasm")
	big := filepath.Join(dir, "big.wasm")
	sparse(t, big, []byte("\x00asm\x01\x00\x00\x00"), 1<<30)
	text := filepath.Join(dir, "text.wasm")
	sparse(t, text, []byte("#!/bin/sh\n"), registry.MaxModuleBytes/2)
	eng := engine(t)

	for range 3 {
		before := bytesRead(t)
		l, err := loadWithin(t, eng, dir, registry.LoadOptions{SkipInvalid: true})
		read := bytesRead(t) - before
		require.NoError(t, err)
		assert.Equal(t, []string{"10-good"}, names(l.Callbacks))
		require.Len(t, l.Skipped, 2)
		assert.EqualError(t, l.Skipped[0], fmt.Sprintf("load %s: bad module: module is %d bytes; the limit is %d", big, 1<<30, registry.MaxModuleBytes))
		assert.EqualError(t, l.Skipped[1], "load "+text+`: bad module: not a WebAssembly module (no \0asm header)`)
		assert.Less(t, read, int64(1<<20), "neither large file is read")
	}

	// A file at the limit is read (a module holding only a custom section
	// that fills it, which fails for want of the ABI marker); one byte more
	// is not read.
	atLimit := filepath.Join(dir, "20-large.wasm")
	body := registry.MaxModuleBytes - 8 - 1 - 5 // header, section id, 5-byte LEB128 size
	head := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 0, byte(body) | 0x80, byte(body>>7) | 0x80, byte(body>>14) | 0x80, byte(body>>21) | 0x80, byte(body >> 28), 1, 'x'}
	sparse(t, atLimit, head, registry.MaxModuleBytes)
	before := bytesRead(t)
	_, err := loadWithin(t, eng, dir, registry.LoadOptions{})
	assert.ErrorIs(t, err, abi.ErrABIMismatch)
	assert.ErrorContains(t, err, "load "+atLimit+": ")
	assert.GreaterOrEqual(t, bytesRead(t)-before, int64(registry.MaxModuleBytes))
	require.NoError(t, os.Truncate(atLimit, registry.MaxModuleBytes+1))
	before = bytesRead(t)
	_, err = loadWithin(t, eng, dir, registry.LoadOptions{})
	assert.EqualError(t, err, fmt.Sprintf("load %s: bad module: module is %d bytes; the limit is %d", atLimit, registry.MaxModuleBytes+1, registry.MaxModuleBytes))
	assert.Less(t, bytesRead(t)-before, int64(1<<20))
}

// TestSettingsFilesThatAreNotRegularFiles: the settings file is read under
// the same rules as a module file.
func TestSettingsFilesThatAreNotRegularFiles(t *testing.T) {
	cases := []struct {
		name   string
		make   func(t *testing.T, path string)
		reason string
	}{
		{"fifo", func(t *testing.T, p string) {
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			t.Cleanup(func() { unblockFIFO(p) })
		}, "not a regular file (a named pipe)"},
		{"dev-zero", func(t *testing.T, p string) { require.NoError(t, os.Symlink("/dev/zero", p)) }, "not a regular file (a character device)"},
		{"directory", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }, "not a regular file (a directory)"},
		{"large", func(t *testing.T, p string) { sparse(t, p, []byte("modules: {}\n"), 1<<30) },
			fmt.Sprintf("the settings file is %d bytes; the limit is %d", 1<<30, registry.MaxSettingsBytes)},
		{"dangling-symlink", func(t *testing.T, p string) { require.NoError(t, os.Symlink("..data/wasmhook.yaml", p)) },
			"cannot open: no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			copyWAT(t, dir, "fixed", "10-good.wasm")
			file := filepath.Join(dir, "wasmhook.yaml")
			c.make(t, file)
			before := bytesRead(t)
			_, err := loadWithin(t, engine(t), dir, registry.LoadOptions{SkipInvalid: true})
			require.ErrorIs(t, err, registry.ErrSettings)
			assert.EqualError(t, err, "invalid settings: "+file+": "+c.reason)
			assert.Less(t, bytesRead(t)-before, int64(1<<20))
		})
	}
}

// TestModulesDirectoryThatIsNotADirectory: a named pipe or a file where
// the modules directory should be is refused at once (os.ReadDir opens
// with O_DIRECTORY, which does not wait for a pipe's writer).
func TestModulesDirectoryThatIsNotADirectory(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "modules")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	t.Cleanup(func() { unblockFIFO(fifo) })
	_, err := loadWithin(t, engine(t), fifo, registry.LoadOptions{})
	assert.EqualError(t, err, "modules directory: open "+fifo+": not a directory")

	file := filepath.Join(t.TempDir(), "modules")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = loadWithin(t, engine(t), file, registry.LoadOptions{})
	assert.EqualError(t, err, "modules directory: open "+file+": not a directory")
}
