// Command precompile fills a wazero compilation cache with modules, loaded
// the way the tests load them, so that the tests read the compiled code
// from the cache instead of compiling it themselves.
//
// Under -race, wazero's compiler is instrumented like the rest of the test
// binary, and compiling a Go guest of 2-3 MB there costs tens of seconds of
// CPU; this program, built without -race, compiles it in about one. Tests
// run it through testmod.Precompile and give their engines the same
// CompilationCacheDir.
//
//	go run ./internal/testmod/precompile -cache DIR [-memory 64MiB,16MiB] file.wasm...
//
// The cache is keyed by the bytes wazero compiles, which the host rewrites
// at load according to the module's memory limit (its tables' maxima come
// from it): a module is compiled once for each limit given with -memory,
// and only an engine loading it with one of those limits finds it cached.
// The default is the default limit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	goruntime "runtime"
	"strings"
	"sync"

	"github.com/wasmhook/wasmhook/runtime"
)

func main() {
	cache := flag.String("cache", "", "the compilation cache `directory` (required)")
	memory := flag.String("memory", "", "comma-separated memory `limits` to compile for (default: the default limit)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: precompile -cache DIR [-memory 64MiB,16MiB] file.wasm...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *cache == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	limits := []runtime.Bytes{runtime.DefaultLimits().MemoryBytes}
	if *memory != "" {
		limits = limits[:0]
		for _, s := range strings.Split(*memory, ",") {
			var n runtime.Bytes
			if err := n.UnmarshalText([]byte(s)); err != nil {
				fmt.Fprintf(os.Stderr, "precompile: -memory %q: %v\n", s, err)
				os.Exit(2)
			}
			limits = append(limits, n)
		}
	}
	if err := precompile(context.Background(), *cache, limits, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "precompile:", err)
		os.Exit(1)
	}
}

// precompile loads every file once per memory limit into one engine that
// writes to the cache, as many at a time as there are CPUs.
func precompile(ctx context.Context, cache string, limits []runtime.Bytes, files []string) error {
	eng, err := runtime.NewEngine(ctx, runtime.Config{
		CompilationCacheDir: cache,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer eng.Close(ctx)

	type job struct {
		file   string
		bin    []byte
		memory runtime.Bytes
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range goruntime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				m, err := eng.Load(ctx, j.file, j.file, j.bin, runtime.ModuleOptions{Limits: runtime.Limits{MemoryBytes: j.memory}})
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("memory limit %s: %w", j.memory, err))
					mu.Unlock()
					continue
				}
				m.Close(ctx)
			}
		}()
	}
	for _, f := range files {
		bin, err := os.ReadFile(f)
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			continue
		}
		for _, l := range limits {
			jobs <- job{f, bin, l}
		}
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}
