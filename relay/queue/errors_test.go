package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/relay/queue"
)

// TestMain doubles as a helper process: the failures that need a
// process of their own (a file-size limit, a user that cannot write)
// run there, and report their error as JSON on stdout.
func TestMain(m *testing.M) {
	if mode := os.Getenv("QUEUE_TEST_HELPER"); mode == "redis-claim" {
		redisClaimHelper() // an instance that claims, then waits for its SIGKILL
		return
	} else if mode != "" {
		helper(mode, os.Getenv("QUEUE_TEST_DIR"))
		return
	}
	os.Exit(m.Run())
}

type helperResult struct {
	Stage, Err                    string
	Unwritable, DiskFull, Corrupt bool
	Panic                         string
}

func helper(mode, dir string) {
	var res helperResult
	defer func() {
		if r := recover(); r != nil {
			res.Panic = fmt.Sprint(r)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		os.Exit(0)
	}()
	report := func(stage string, err error) {
		res.Stage = stage
		if err != nil {
			res.Err = err.Error()
			res.Unwritable = errors.Is(err, queue.ErrUnwritable)
			res.DiskFull = errors.Is(err, queue.ErrDiskFull)
			res.Corrupt = errors.Is(err, queue.ErrCorrupt)
		}
	}
	switch mode {
	case "unwritable":
		// Root writes anywhere: become nobody so that modes count.
		if os.Getuid() == 0 {
			if err := syscall.Setgid(65534); err != nil {
				report("setgid", err)
				return
			}
			if err := syscall.Setuid(65534); err != nil {
				report("setuid", err)
				return
			}
		}
		q, err := queue.Open(dir, queue.Options{})
		if err == nil {
			q.Close()
		}
		report("open", err)
	case "fsize":
		// Past the limit a write fails with EFBIG instead of killing the
		// process with SIGXFSZ.
		signal.Ignore(syscall.SIGXFSZ)
		limit, _ := strconv.ParseUint(os.Getenv("QUEUE_TEST_FSIZE"), 10, 64)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			report("setrlimit", err)
			return
		}
		q, err := queue.Open(dir, queue.Options{})
		if err != nil {
			report("open", err)
			return
		}
		defer q.Close()
		ev := &queue.Event{ID: "e1", Received: time.Now(), Payload: make([]byte, 1<<20)}
		report("enqueue", q.Enqueue(context.Background(), ev, []string{"a"}))
	}
}

func runHelper(t *testing.T, mode, dir string, env ...string) helperResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QUEUE_TEST_HELPER="+mode, "QUEUE_TEST_DIR="+dir)
	// Under -race the runtime waits 1 s at exit unless told not to.
	cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, err, out)
	}
	var res helperResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, err, out)
	}
	if res.Panic != "" {
		t.Fatalf("helper %s panicked: %s", mode, res.Panic)
	}
	return res
}

// worldDir is a directory that the helper, as nobody, can reach: the
// test's temporary directories are private to their owner.
func worldDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOpenUnwritable(t *testing.T) {
	t.Run("new", func(t *testing.T) {
		dir := worldDir(t)
		must(t, os.Chmod(dir, 0o555))
		res := runHelper(t, "unwritable", filepath.Join(dir, "data"))
		wantErr(t, res, "open", "unwritable", filepath.Join(dir, "data"))
	})
	t.Run("existing", func(t *testing.T) {
		dir := worldDir(t)
		q, err := queue.Open(dir, queue.Options{})
		must(t, err)
		must(t, q.Close())
		must(t, os.Chmod(filepath.Join(dir, queue.FileName), 0o666))
		must(t, os.Chmod(dir, 0o555))
		res := runHelper(t, "unwritable", dir)
		wantErr(t, res, "open", "unwritable", filepath.Join(dir, queue.FileName))
		if !strings.Contains(res.Err, "-wal") {
			t.Errorf("the error does not say SQLite needs its WAL files: %s", res.Err)
		}
	})
}

// TestDiskFull: a file-size limit stands in for a full disk (mounting a
// small file system needs privileges a test cannot count on). SQLite
// reports both as a failed write; the queue says which it is.
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		stage string
		limit int
	}{
		{"open", 8 << 10},      // the schema does not fit
		{"enqueue", 512 << 10}, // the schema fits, a 1 MiB payload does not
	} {
		t.Run(tc.stage, func(t *testing.T) {
			dir := t.TempDir()
			res := runHelper(t, "fsize", dir, "QUEUE_TEST_FSIZE="+strconv.Itoa(tc.limit))
			wantErr(t, res, tc.stage, "diskfull", filepath.Join(dir, queue.FileName))
			if !strings.Contains(res.Err, "ulimit -f") {
				t.Errorf("the error does not name the file-size limit: %s", res.Err)
			}
		})
	}
}

func TestOpenCorrupt(t *testing.T) {
	for name, corrupt := range map[string]func(t *testing.T, file string){
		"garbage": func(t *testing.T, file string) {
			must(t, os.WriteFile(file, []byte("this is not a database, just some bytes\x00\x01\x02\xff"), 0o600))
		},
		"damaged": func(t *testing.T, file string) {
			f, err := os.OpenFile(file, os.O_RDWR, 0)
			must(t, err)
			defer f.Close()
			junk := make([]byte, 4096)
			for i := range junk {
				junk[i] = byte(i*7 + 3)
			}
			_, err = f.WriteAt(junk, 100) // the rest of page 1: the schema
			must(t, err)
		},
		"foreign": func(t *testing.T, file string) {
			for _, f := range []string{file, file + "-wal", file + "-shm"} {
				if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			}
			db := sqlOpen(t, file)
			if _, err := db.Exec(`CREATE TABLE other(x)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			q, err := queue.Open(dir, queue.Options{})
			must(t, err)
			must(t, q.Enqueue(context.Background(), &queue.Event{ID: "e1", Received: time.Now()}, []string{"a"}))
			must(t, q.Close())
			file := filepath.Join(dir, queue.FileName)
			corrupt(t, file)
			q, err = queue.Open(dir, queue.Options{})
			if err == nil {
				q.Close()
				t.Fatal("Open of a corrupt queue file succeeded")
			}
			var qe *queue.Error
			if !errors.Is(err, queue.ErrCorrupt) || !errors.As(err, &qe) || qe.File != file || !strings.Contains(err.Error(), file) {
				t.Fatalf("Open: %v, want ErrCorrupt naming %s", err, file)
			}
			t.Log(err)
		})
	}
}

func wantErr(t *testing.T, res helperResult, stage, kind, file string) {
	t.Helper()
	if res.Stage != stage || res.Err == "" {
		t.Fatalf("%s: error %q at %s, want one at %s", kind, res.Err, res.Stage, stage)
	}
	ok := map[string]bool{"unwritable": res.Unwritable, "diskfull": res.DiskFull}[kind]
	if !ok || !strings.Contains(res.Err, file) {
		t.Fatalf("error %q: want %s naming %s", res.Err, kind, file)
	}
	t.Logf("%s: %s", stage, res.Err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
