package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
)

// startupModules is how many modules the start-up measurement loads: half
// Go reactors (../testdata/go/reactor), half the C reactors of W1.
const startupModules = 20

// prepareStartup builds the Go test reactor and writes the start-up
// modules directory under tmp: 20 modules, alternately a Go reactor and a
// C one (cb1, cb2, cb3, cb1, ...). Unless identical is set, each copy gets
// a custom section holding its index, so that its bytes (and its wazero
// module ID) are its own: wazero compiles a module once per distinct ID, so
// identical copies would measure four compilations, not twenty plugins.
func prepareStartup(tmp string, identical bool) (string, error) {
	goWasm := filepath.Join(tmp, "reactor.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", goWasm, "./testdata/go/reactor")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the Go reactor: %v\n%s", err, out)
	}
	goBin, err := os.ReadFile(goWasm)
	if err != nil {
		return "", err
	}
	var cBins [][]byte
	for _, name := range callbackNames {
		b, err := os.ReadFile(filepath.Join(wasmhookGuests, name+".wasm"))
		if err != nil {
			return "", err
		}
		cBins = append(cBins, b)
	}
	dir := filepath.Join(tmp, "modules")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for i := range startupModules {
		var name string
		var bin []byte
		if i%2 == 0 {
			name, bin = fmt.Sprintf("%02d-go", i), goBin
		} else {
			c := (i / 2) % len(cBins)
			name, bin = fmt.Sprintf("%02d-c-%s", i, callbackNames[c]), cBins[c]
		}
		if !identical {
			bin = appendCustomSection(bin, "wasmhook-bench-copy", []byte(strconv.Itoa(i)))
		}
		if err := os.WriteFile(filepath.Join(dir, name+".wasm"), bin, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// appendCustomSection returns a copy of the module bin with a custom
// section appended (custom sections may appear anywhere; they do not change
// what the module does).
func appendCustomSection(bin []byte, name string, payload []byte) []byte {
	var body []byte
	body = appendULEB(body, uint64(len(name)))
	body = append(body, name...)
	body = append(body, payload...)
	out := append([]byte(nil), bin...)
	out = append(out, 0) // section id: custom
	out = appendULEB(out, uint64(len(body)))
	return append(out, body...)
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// startupChild is the child process's side: it creates an enricher on dir
// with the compilation cache cache, repeat times one after another, and
// prints how long each New took, in ns, one per line.
func startupChild(dir, cache string, repeat int) error {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range repeat {
		start := time.Now()
		e, err := wasmhook.New(ctx, wasmhook.Options{Dir: dir, CompilationCacheDir: cache, Logger: logger})
		d := time.Since(start)
		if err != nil {
			return err
		}
		if n := len(e.Callbacks()); n != startupModules {
			return fmt.Errorf("loaded %d modules, want %d", n, startupModules)
		}
		if err := e.Close(ctx); err != nil {
			return err
		}
		fmt.Println(d.Nanoseconds())
	}
	return nil
}

// runStartupChild runs this program again as a start-up child and returns
// the durations it printed.
func runStartupChild(dir, cache string, repeat int) ([]time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-startup-child", dir, "-startup-cache", cache, "-startup-repeat", strconv.Itoa(repeat))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("start-up child: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var ds []time.Duration
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		ns, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("start-up child printed %q", sc.Text())
		}
		ds = append(ds, time.Duration(ns))
	}
	if len(ds) != repeat {
		return nil, fmt.Errorf("start-up child printed %d durations, want %d", len(ds), repeat)
	}
	return ds, nil
}

// startupResult holds the start-up times of every round.
type startupResult struct {
	cold      []time.Duration // new process, empty cache directory
	warm      []time.Duration // new process, the cache the cold run filled
	warmSame  []time.Duration // second New in the cold process, same cache directory
	moduleDir string
}

// measureStartup runs rounds rounds of: a new process loading the modules
// with an empty cache directory (cold), then New again in that process
// (warm, same process), then a new process on the same cache (warm).
func measureStartup(rounds int, identical bool) (*startupResult, error) {
	tmp, err := os.MkdirTemp("", "wasmhook-bench-startup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dir, err := prepareStartup(tmp, identical)
	if err != nil {
		return nil, err
	}
	r := &startupResult{moduleDir: dir}
	for i := range rounds {
		cache := filepath.Join(tmp, fmt.Sprintf("cache-%d", i))
		if err := os.Mkdir(cache, 0o755); err != nil {
			return nil, err
		}
		ds, err := runStartupChild(dir, cache, 2)
		if err != nil {
			return nil, err
		}
		r.cold = append(r.cold, ds[0])
		r.warmSame = append(r.warmSame, ds[1])
		ds, err = runStartupChild(dir, cache, 1)
		if err != nil {
			return nil, err
		}
		r.warm = append(r.warm, ds[0])
	}
	return r, nil
}
