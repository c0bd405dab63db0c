package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestRunModuleFiles: run FILE.wasm... runs the modules named, in the
// order given (a later one wins a key), under their file names, with no
// directory to make; errors name the files as given.
func TestRunModuleFiles(t *testing.T) {
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp}
	fixed, echo := testmod.Path("fixed"), testmod.Path("echo_config")
	cfg := `echo_config={"foo":"from config","z":1}`

	r := wasmhookEnv(t, env, "", "run", fixed, echo, "--config", cfg, "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": "from config", "z": 1.0}, testmod.ContextOf(t, []byte(r.stdout)), "echo_config runs last and wins foo")
	assert.Regexp(t, `(?s)fixed\s+reactor.*echo_config\s+reactor`, r.stderr, "reported in the order given")

	r = wasmhookEnv(t, env, "", "run", "--config", cfg, echo, fixed)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": 123.0, "z": 1.0}, testmod.ContextOf(t, []byte(r.stdout)), "fixed runs last and wins foo")
	assert.Contains(t, r.stdout, `"context": {"foo": 123, "z": 1}`, "a key keeps its first position")

	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing left behind in TMPDIR")

	// Errors name the file as given.
	notWasm := filepath.Join(t.TempDir(), "readme.wasm")
	require.NoError(t, os.WriteFile(notWasm, []byte("# not a module\n"), 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", fixed, notWasm), 2, "load "+notWasm+": bad module: not a WebAssembly module")
	assertOneLineError(t, wasmhook(t, "", "run", "nope.wasm"), 2, "nope.wasm: no such file or directory")
	other := filepath.Join(t.TempDir(), "fixed.wasm")
	require.NoError(t, os.WriteFile(other, testmod.Read(t, "fixed"), 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", fixed, other), 2, "two modules named fixed")
	assertOneLineError(t, wasmhook(t, "", "run", fixed, "--config", `geo={}`), 2, "--config geo: no module file named geo.wasm")
	assertOneLineError(t, wasmhook(t, "", "run", fixed, "--modules", tmp), 2, "give --modules DIR or module files, not both")
	assertOneLineError(t, wasmhook(t, "", "run", tmp), 2, "is a directory: use --modules")
}

// TestRunNetBoxBody: --event takes what NetBox posts, and what run
// prints: run on a body NetBox signed gives that body back, to the byte.
func TestRunNetBoxBody(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/netbox/signature-vector.txt")
	require.NoError(t, err)
	body := strings.SplitN(string(raw), "\n", 2)[0]
	require.Contains(t, body, `"context": {"active_branch": null}`)
	file := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
	r := wasmhook(t, "", "run", testmod.Path("active_branch"), "--event", file)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, body, r.stdout, "the body NetBox signed, byte for byte")

	// run's output fed back to run is the same payload.
	r2 := wasmhook(t, r.stdout, "run", testmod.Path("active_branch"), "--event", "-")
	require.Equal(t, 0, r2.code, r2.stderr)
	assert.Equal(t, r.stdout, r2.stdout)

	// The body of NetBox's docs: "model" without an app label, a
	// timestamp written by Python's str(), a request_id but no request.
	echo := testmod.Path("echo_input")
	docs := `{"event": "created", "timestamp": "2021-03-09 17:55:33.968016+00:00", "model": "site",
 "username": "jstretch", "request_id": "fdbca812-3142-4783-b364-2e2bd5c16c6a",
 "data": {"id": 19, "url": "http://netbox.example/api/dcim/sites/19/", "name": "Site 1"},
 "snapshots": {"prechange": null, "postchange": {"name": "Site 1"}}}`
	r = wasmhook(t, docs, "run", echo, "--event", "-")
	require.Equal(t, 0, r.code, r.stderr)
	var p struct {
		Event, Timestamp, ObjectType, RequestID string
		Context                                 struct {
			ObjectType string `json:"object_type"`
			EventType  string `json:"event_type"`
			Request    map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &p), r.stdout)
	assert.Equal(t, "created", p.Event)
	assert.Equal(t, "2021-03-09T17:55:33.968016+00:00", p.Timestamp)
	assert.Contains(t, r.stdout, `"object_type": "dcim.site"`, "the app label from data.url")
	assert.Contains(t, r.stdout, `"request_id": "fdbca812-3142-4783-b364-2e2bd5c16c6a"`)
	assert.Equal(t, "object_created", p.Context.EventType, "callbacks get NetBox's event type")
	assert.Equal(t, "dcim.site", p.Context.ObjectType)
	assert.Equal(t, "jstretch", p.Context.Request["user"])

	// job_ended is told apart by the job's status.
	job := `{"event": "job_ended", "object_type": "core.job", "data": {"status": {"value": "errored"}}}`
	r = wasmhook(t, job, "run", echo, "--event", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"event_type": "job_errored"`)
	assert.Contains(t, r.stdout, `"event": "job_ended"`)

	// Errors name the file, and for JSON syntax the line and column.
	bad := filepath.Join(t.TempDir(), "captured.json")
	require.NoError(t, os.WriteFile(bad, []byte("{\"event\": \"updated\",\n  \"model\": \"site\",\n  \"data\": {\"id\": 1,}\n}"), 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", echo, "--event", bad), 2, "event "+bad+":3:20: invalid character '}'")
	assertOneLineError(t, wasmhook(t, `{"event": "updated", "model": "site", "data": {}}`, "run", echo, "--event", "-"), 2,
		`event stdin (a NetBox webhook body): model "site" names no app`)
	assertOneLineError(t, wasmhook(t, `{"event": "updated", "object_type": "dcim.site", "data": {}, "extra": 1}`, "run", echo, "--event", "-"), 2,
		`event stdin (a NetBox webhook body): unknown key "extra"`)
	assertOneLineError(t, wasmhook(t, `{"object_type": "dcim.site", "data": {}}`, "run", echo, "--event", "-"), 2,
		`event stdin: neither wasmhook's event JSON (no "event_type") nor a NetBox webhook body (no "event")`)
	assertOneLineError(t, wasmhook(t, `[1, 2]`, "run", echo, "--event", "-"), 2, "event stdin: want a JSON object, not an array")

	help := wasmhook(t, "", "run", "--help").stdout
	assert.Contains(t, help, "wasmhook's event JSON")
	assert.Contains(t, help, "a NetBox webhook body, as NetBox posts it")
}

type callReport struct {
	Name            string
	Kind            string
	File            string
	TimeNS          int64  `json:"time_ns"`
	OutputBytes     int    `json:"output_bytes"`
	PeakMemoryBytes uint64 `json:"peak_memory_bytes"`
	ErrorClass      string `json:"error_class"`
	Error           string
}

// TestRunJSONReport: run --json prints the payload and, per callback, its
// kind, time, output size, peak memory and error class.
func TestRunJSONReport(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed", "20-trap": "trap", "30-big": "big_output"})
	r := wasmhook(t, "", "run", "--modules", dir, "--json", "--output-limit", "1KiB")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Event     string
		Payload   map[string]any
		Callbacks []callReport
		Failed    int
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, map[string]any{"foo": 123.0}, rep.Payload["context"])
	assert.Equal(t, "(bundled sample)", rep.Event)
	assert.Equal(t, 2, rep.Failed)
	require.Len(t, rep.Callbacks, 3)
	ok, trap, big := rep.Callbacks[0], rep.Callbacks[1], rep.Callbacks[2]
	assert.Equal(t, "10-fixed", ok.Name)
	assert.Equal(t, "reactor", ok.Kind)
	assert.Equal(t, filepath.Join(dir, "10-fixed.wasm"), ok.File)
	assert.Positive(t, ok.TimeNS)
	assert.Equal(t, 11, ok.OutputBytes)
	assert.Equal(t, uint64(64<<10), ok.PeakMemoryBytes)
	assert.Empty(t, ok.ErrorClass)
	assert.Equal(t, "trap", trap.ErrorClass)
	assert.Contains(t, trap.Error, "unreachable")
	assert.Equal(t, "output_too_large", big.ErrorClass)

	// With module files, a report names them as given.
	r = wasmhook(t, "", "run", testmod.Path("fixed"), "--json", "--compact")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"), "compact: one line")
	assert.Contains(t, r.stdout, `"file":"`+testmod.Path("fixed")+`"`)
}

// TestBenchJSONAndFailures: bench --json reports per callback, and bench
// exits 1 when a call failed.
func TestBenchJSONAndFailures(t *testing.T) {
	r := wasmhook(t, "", "bench", testmod.Path("fixed"), testmod.Path("trap"), "-n", "20", "--json")
	assert.Equal(t, 1, r.code, "calls failed")
	assert.Equal(t, "wasmhook: bench: 20 of 40 calls failed\n", r.stderr)
	var rep struct {
		Events    int
		Failed    int
		Callbacks []struct {
			Name            string
			Calls, Failed   int
			P50NS           int64  `json:"p50_ns"`
			PeakMemoryBytes uint64 `json:"peak_memory_bytes"`
			MaxOutputBytes  int    `json:"max_output_bytes"`
			ErrorClass      string `json:"error_class"`
			Limits          struct {
				TimeoutNS int64 `json:"timeout_ns"`
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, 20, rep.Events)
	assert.Equal(t, 20, rep.Failed)
	require.Len(t, rep.Callbacks, 2)
	fixed, trap := rep.Callbacks[0], rep.Callbacks[1]
	assert.Equal(t, 20, fixed.Calls)
	assert.Zero(t, fixed.Failed)
	assert.Positive(t, fixed.P50NS)
	assert.Equal(t, 11, fixed.MaxOutputBytes)
	assert.Equal(t, uint64(64<<10), fixed.PeakMemoryBytes)
	assert.Equal(t, int64(200e6), fixed.Limits.TimeoutNS)
	assert.Equal(t, 20, trap.Failed)
	assert.Equal(t, "trap", trap.ErrorClass)

	r = wasmhook(t, "", "bench", testmod.Path("fixed"), "-n", "20")
	assert.Equal(t, 0, r.code, "no call failed: %s", r.stderr)
}

// TestPanicMessages: a guest's panic (Rust's "panicked at", Go's
// "panic:"), printed on stderr before it traps or exits, is the error
// the -v table and the report show, not a bare unreachable or exit code.
func TestPanicMessages(t *testing.T) {
	r := wasmhook(t, "", "run", testmod.Path("rust_panic"), testmod.Path("go_panic"), testmod.Path("fixed"), "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `rust_panic\s+reactor.*callback rust_panic: guest trapped: panicked at 'index out of bounds: the len is 3 but the index is 5', src/lib.rs:6:37: wasm error: unreachable\n`, r.stderr)
	assert.Regexp(t, `go_panic\s+command.*callback go_panic: guest reported an error: exit code 2: panic: runtime error: index out of range \[5\] with length 3\n`, r.stderr)

	r = wasmhook(t, "", "run", testmod.Path("go_panic"), "--json")
	var rep struct{ Callbacks []callReport }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Callbacks, 1)
	assert.Equal(t, "guest", rep.Callbacks[0].ErrorClass)
	assert.True(t, strings.HasPrefix(rep.Callbacks[0].Error, "callback go_panic: guest reported an error: exit code 2: panic: runtime error: index out of range [5] with length 3\nstderr: "), rep.Callbacks[0].Error)
	assert.Contains(t, rep.Callbacks[0].Error, "main.main()", "the end of the trace follows")
}
