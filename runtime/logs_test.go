package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// records is a slog handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

// take returns the records kept so far and forgets them.
func (r *records) take() []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := r.recs
	r.recs = nil
	return recs
}

func attr(rec slog.Record, key string) (v slog.Value, ok bool) {
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, ok = a.Value, true
			return false
		}
		return true
	})
	return v, ok
}

// TestLogLimitWarnsOncePerCall: whatever a call floods (log lines,
// stderr, both kinds of module), what passes the log limit is dropped and
// one warning per call says how many bytes (abi/SPEC.md section 3); stderr
// keeps its start and its end. command_stderr_tail fails, and its message
// is the last line it wrote, past the limit.
func TestLogLimitWarnsOncePerCall(t *testing.T) {
	const limit = 16 << 10
	cases := []struct {
		module  string
		dropped int64  // bytes past the limit
		stderr  string // what the logged stderr ends with; "" for none
		fail    string // how the call's error ends, "" for success
	}{
		{module: "log_flood", dropped: 10<<20 - limit},
		{module: "command_log_flood", dropped: 10<<20 - limit},
		{module: "stderr_flood", dropped: 10<<20 - limit, stderr: "xxx"},
		{module: "command_stderr_flood", dropped: 10<<20 - limit, stderr: "xxx"},
		{module: "command_stderr_tail", dropped: 20<<10 + 23 - limit, stderr: "x\nfatal: the real reason", fail: "\nfatal: the real reason"},
	}
	for _, c := range cases {
		t.Run(c.module, func(t *testing.T) {
			var recs records
			e, err := runtime.NewEngine(context.Background(), runtime.Config{Logger: slog.New(&recs)})
			require.NoError(t, err)
			defer e.Close(context.Background())
			m, err := e.Load(context.Background(), c.module, watFile(c.module), wat(t, c.module), runtime.ModuleOptions{})
			require.NoError(t, err)
			recs.take() // loading creates a reactor's first instance
			for round := range 2 {
				_, err := call(t, m)
				if c.fail == "" {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, abi.ErrGuest)
					msg := err.Error()
					assert.Contains(t, msg, "exit code 3: ")
					assert.True(t, strings.HasSuffix(msg, c.fail), "the message is the end of stderr: ...%s", msg[max(0, len(msg)-100):])
				}
				var warnings int
				var stderr string
				for _, rec := range recs.take() {
					if rec.Level == slog.LevelWarn {
						warnings++
						assert.Contains(t, rec.Message, "log limit reached")
						v, _ := attr(rec, "dropped_bytes")
						assert.Equal(t, c.dropped, v.Int64(), "round %d", round)
					}
					if rec.Message == "wasmhook: guest stderr" {
						assert.Equal(t, slog.LevelInfo, rec.Level)
						v, _ := attr(rec, "stderr")
						stderr = v.String()
					}
				}
				assert.Equal(t, 1, warnings, "one warning per call, round %d", round)
				if c.stderr != "" {
					assert.True(t, strings.HasPrefix(stderr, "xxxxxxxx"), "stderr's start is kept")
					assert.True(t, strings.HasSuffix(stderr, c.stderr), "stderr's end is kept: ...%s", stderr[max(0, len(stderr)-100):])
					assert.True(t, strings.Contains(stderr, fmt.Sprintf("\n[... %d bytes dropped ...]\n", c.dropped)), "the gap is marked")
					assert.LessOrEqual(t, len(stderr), limit+100, "the log limit bounds what is logged")
				}
			}
		})
	}
}
