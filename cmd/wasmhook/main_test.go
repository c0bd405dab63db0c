package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wh "github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// binary is the wasmhook command, built once by TestMain; cacheHome is
// the XDG_CACHE_HOME it runs with, so that its compilation cache stays
// out of the user's (and is shared by the tests); goCache is Go's build
// cache, which moving XDG_CACHE_HOME must not move for go builds run by
// tests.
var binary, cacheHome, goCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmhook-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "wasmhook")
	cacheHome = filepath.Join(dir, "cache")
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go env GOCACHE: %v\n", err)
		os.Exit(2)
	}
	goCache = strings.TrimSpace(string(out))
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building wasmhook: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// command is exec.Command with the environment the tests run wasmhook in.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cacheHome, "GOCACHE="+goCache, "WASMHOOK_SECRET=")
	testmod.DiesWithTest(cmd)
	return cmd
}

type result struct {
	code           int
	stdout, stderr string
}

func wasmhook(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return wasmhookEnv(t, nil, stdin, args...)
}

// wasmhookEnv runs the command with env added to the test's environment.
func wasmhookEnv(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := command(binary, args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// A command that should have ended and did not (a serve that should
	// have refused to start) fails its test instead of the whole run.
	require.NoError(t, cmd.Start())
	stop := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !stop.Stop() {
		t.Fatalf("wasmhook %s: still running after 2 minutes; killed\n%s", strings.Join(args, " "), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

// modules makes a directory of test modules: dst → src.
func modules(t *testing.T, mods map[string]string) string { return testmod.Dir(t, mods) }

func assertOneLineError(t *testing.T, r result, code int, parts ...string) {
	t.Helper()
	assert.Equal(t, code, r.code, "stderr: %s", r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	assert.True(t, strings.HasPrefix(last, "wasmhook: "), r.stderr)
	for _, p := range parts {
		assert.Contains(t, last, p)
	}
	assert.NotContains(t, r.stderr, "goroutine ", "no Go stack trace")
	assert.NotContains(t, r.stderr, "panic")
}

func TestRunOnTheExamples(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed", "20-branch": "active_branch"})
	r := wasmhook(t, "", "run", "--modules", dir, "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil}, testmod.ContextOf(t, []byte(r.stdout)))
	assert.True(t, strings.HasPrefix(r.stdout, `{"event": "updated", "timestamp": "2026-03-06T15:11:23.503186+00:00"`),
		"piped: the compact payload as sent: %s", r.stdout)
	assert.Regexp(t, `10-fixed\s+reactor\s+\S+\s+11 B\s+ok`, r.stderr, "a report line per callback")
	assert.Regexp(t, `20-branch\s+reactor\s+\S+\s+22 B\s+ok`, r.stderr)

	r = wasmhook(t, "", "run", "--modules", dir, "--indent")
	assert.Contains(t, r.stdout, "\n  \"context\": {\n    \"foo\": 123,")

	event := `{"object_type": "dcim.device", "event_type": "object_created", "data": {"id": 1}}`
	r = wasmhook(t, event, "run", "--modules", dir, "--event", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"event": "created"`)
	assert.Contains(t, r.stdout, `"object_type": "dcim.device"`)

	cfg := modules(t, map[string]string{"geo": "echo_config"})
	r = wasmhook(t, "", "run", "--modules", cfg, "--config", `geo={"namespace":"geo"}`)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"namespace": "geo"}, testmod.ContextOf(t, []byte(r.stdout)))
}

func TestRunFailures(t *testing.T) {
	trap := modules(t, map[string]string{"10-trap": "trap", "20-fixed": "fixed"})
	r := wasmhook(t, "", "run", "--modules", trap, "-v")
	assert.Equal(t, 0, r.code, "a failed callback is not a failed run without --strict")
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(r.stdout)))
	assert.Contains(t, r.stderr, "guest trapped")

	r = wasmhook(t, "", "run", "--modules", trap, "--strict")
	assertOneLineError(t, r, 1, "1 of 2 callbacks failed", "10-trap", "unreachable")
	assert.NotEmpty(t, r.stdout, "the payload is printed all the same")

	missing := filepath.Join(t.TempDir(), "nope")
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", missing), 2, "modules directory", missing, "no such file")

	notWasm := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notWasm, "readme.wasm"), []byte("# not a module\n"), 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", notWasm), 2, filepath.Join(notWasm, "readme.wasm"), "not a WebAssembly module")

	truncated := t.TempDir()
	b := testmod.Read(t, "fixed")
	require.NoError(t, os.WriteFile(filepath.Join(truncated, "cut.wasm"), b[:len(b)/2], 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", truncated), 2, filepath.Join(truncated, "cut.wasm"), "invalid module")

	ok := modules(t, map[string]string{"fixed": "fixed"})
	assertOneLineError(t, wasmhook(t, `{"object_type": `, "run", "--modules", ok, "--event", "-"), 2, "event stdin:1:17: unexpected end of JSON input")
	assertOneLineError(t, wasmhook(t, `{"object_type": "dcim.site", "event_type": "object_updated"}`, "run", "--modules", ok, "--event", "-"), 2, "event stdin: invalid event: data is missing")
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", ok, "--event", "missing.json"), 2, "event missing.json: no such file or directory")
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", ok, "--bogus"), 2, "run: unknown flag --bogus; run 'wasmhook run --help'")
	assertOneLineError(t, wasmhook(t, "", "run"), 2, "name module files", "--modules DIR", "run 'wasmhook run --help'")
	assertOneLineError(t, wasmhook(t, "", "frobnicate"), 2, `unknown command "frobnicate"`)
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", ok, "--config", "fixed=[1"), 2, "not JSON")
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", ok, "--memory", "lots"), 2, "want a size")
}

func TestInspect(t *testing.T) {
	dir := modules(t, map[string]string{"fixed": "fixed", "v2": "v2_marker", "cmd": "command_echo"})
	r := wasmhook(t, "", "inspect", filepath.Join(dir, "fixed.wasm"), filepath.Join(dir, "cmd.wasm"))
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2, "one line a module")
	assert.Equal(t, filepath.Join(dir, "fixed.wasm")+": reactor, ABI v1, 150 B, memory 64 KiB..no max, exports [wasmhook_abi_v1 wasmhook_on_event], imports [wasmhook_v1.output_set], capabilities [output]: loads", lines[0])
	assert.Contains(t, lines[1], "command, ABI v1")
	assert.Contains(t, lines[1], "wasi_snapshot_preview1.fd_read")

	r = wasmhook(t, "", "inspect", filepath.Join(dir, "v2.wasm"), filepath.Join(dir, "missing.wasm"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stdout, "DOES NOT LOAD: ABI version mismatch: wasmhook_abi_v2: the module speaks ABI v2; this host speaks v1")
	assert.Contains(t, r.stdout, "missing.wasm: cannot read: no such file or directory")
}

func TestBench(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed", "20-trap": "trap"})
	r := wasmhook(t, "", "bench", "--modules", dir, "-n", "200", "-c", "2")
	assert.Equal(t, 1, r.code, "calls failed: %s", r.stderr)
	assert.Contains(t, r.stderr, "wasmhook: bench: 200 of 400 calls failed\n")
	assert.Regexp(t, `10-fixed\s+reactor\s+\S+\s+\S+ / 200ms \(\d+\.\d%\)\s+\S+\s+64 KiB / 64 MiB \(0\.1%\)\s+11 B / 64 KiB \(0\.0%\)\s+0/200`, r.stdout)
	assert.Regexp(t, `20-trap\s+reactor.*200/200`, r.stdout)
	assert.Contains(t, r.stdout, "200 events in ")
	assert.Contains(t, r.stdout, "20-trap failed 200 times; first: callback 20-trap: guest trapped")
	assert.NotContains(t, r.stderr, "events (", "no progress line when stderr is not a terminal")
}

func TestSignAndVerify(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/netbox/signature-vector.txt")
	require.NoError(t, err)
	lines := strings.Split(string(raw), "\n")
	body, sig := lines[0], lines[2]

	r := wasmhook(t, body, "sign", "--secret", "s3cr3t")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, sig+"\n", r.stdout)

	file := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
	r = wasmhook(t, "", "verify", "--secret", "s3cr3t", "--signature", sig, file)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "ok\n", r.stdout)
	assertOneLineError(t, wasmhook(t, "", "verify", "--secret", "wrong", "--signature", sig, file), 1, "does not match")
	assertOneLineError(t, wasmhook(t, body, "sign"), 2, "sign: no secret: give --secret-file FILE or set WASMHOOK_SECRET")
}

// TestSecretSources: the secret can stay out of ps and shell history: a
// file (its trailing newline dropped) or WASMHOOK_SECRET.
func TestSecretSources(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/netbox/signature-vector.txt")
	require.NoError(t, err)
	lines := strings.Split(string(raw), "\n")
	body, sig := lines[0], lines[2]
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("s3cr3t\n"), 0o600))

	r := wasmhook(t, body, "sign", "--secret-file", secretFile)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, sig+"\n", r.stdout, "the file's newline is not part of the secret")

	r = wasmhookEnv(t, []string{"WASMHOOK_SECRET=s3cr3t"}, body, "sign")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, sig+"\n", r.stdout)

	r = wasmhookEnv(t, []string{"WASMHOOK_SECRET=s3cr3t"}, body, "verify", "--signature", sig)
	assert.Equal(t, 0, r.code, r.stderr)
	r = wasmhook(t, body, "verify", "--secret-file", secretFile, "--signature", sig)
	assert.Equal(t, 0, r.code, r.stderr)

	// A file or a flag wins over the environment.
	r = wasmhookEnv(t, []string{"WASMHOOK_SECRET=wrong"}, body, "sign", "--secret-file", secretFile)
	assert.Equal(t, sig+"\n", r.stdout)

	assertOneLineError(t, wasmhook(t, body, "sign", "--secret-file", secretFile, "--secret", "x"), 2, "--secret and --secret-file exclude each other")
	assertOneLineError(t, wasmhook(t, body, "sign", "--secret-file", filepath.Join(dir, "nope")), 2, "secret file "+filepath.Join(dir, "nope")+": no such file")
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	assertOneLineError(t, wasmhook(t, body, "sign", "--secret-file", empty), 2, "is empty")
	help := wasmhook(t, "", "sign", "--help").stdout
	assert.Contains(t, help, "--secret-file")
	assert.Contains(t, help, "WASMHOOK_SECRET")
}

func TestHelpAndVersion(t *testing.T) {
	r := wasmhook(t, "", "--version")
	assert.Equal(t, 0, r.code)
	assert.Regexp(t, `^wasmhook (v\S+|devel-[0-9a-f]{12}( \(.*\))?|devel \(.*\))\n$`, r.stdout)
	for _, cmd := range []string{"run", "test", "new", "inspect", "bench", "sign", "verify"} {
		r := wasmhook(t, "", cmd, "--help")
		assert.Equal(t, 0, r.code, cmd)
		assert.Contains(t, r.stdout, "usage: wasmhook "+cmd, "%s: the help asked for goes to stdout", cmd)
		assert.Contains(t, r.stdout, "example", cmd)
		assert.Empty(t, r.stderr, cmd)
		help := wasmhook(t, "", "help", cmd)
		assert.Equal(t, 0, help.code, cmd)
		assert.Equal(t, r.stdout, help.stdout, "wasmhook help %s is %s --help", cmd, cmd)
	}
	r = wasmhook(t, "")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "commands:")
	assert.Contains(t, r.stderr, "--version", "the usage lists --version")
}

// TestRunWatch: run --watch prints the payload, then again after a module
// is added, and stops cleanly on an interrupt.
func TestRunWatch(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed"})
	cmd := command(binary, "run", "--modules", dir, "--watch", "--compact")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("no payload; stderr: %s", stderr.String())
			return ""
		}
	}
	assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, []byte(next())))
	// Written whole and renamed into place, as README says to deploy a
	// module: a plain write can be seen empty, fail a reload, and show
	// as "reload fixed" on the next one.
	tmp := filepath.Join(t.TempDir(), "20-branch.wasm")
	require.NoError(t, os.WriteFile(tmp, testmod.Read(t, "active_branch"), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "20-branch.wasm")))
	assert.Equal(t, map[string]any{"foo": 123.0, "active_branch": nil}, testmod.ContextOf(t, []byte(next())))
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), stderr.String())
	assert.Contains(t, stderr.String(), "reloaded: 2 callbacks (1 compiled, 0 removed)")
}

// TestRunAndBenchReadTheSettingsFile: the directory's settings file sets
// configuration, limits and order for run and bench alike.
func TestRunAndBenchReadTheSettingsFile(t *testing.T) {
	dir := modules(t, map[string]string{"10-fixed": "fixed", "20-geo": "echo_config", "30-loop": "loop"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(
		"order: [20-geo]\nmodules:\n  20-geo: {config: {namespace: geo}}\n  30-loop: {timeout: 20ms}\n"), 0o644))
	r := wasmhook(t, "", "run", "--modules", dir, "-v")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, map[string]any{"foo": 123.0, "namespace": "geo"}, testmod.ContextOf(t, []byte(r.stdout)))
	assert.Regexp(t, `(?s)20-geo.*10-fixed.*30-loop`, r.stderr, "the settings file's order")
	assert.Contains(t, r.stderr, "ran past its 20ms limit")

	r = wasmhook(t, "", "bench", "--modules", dir, "-n", "3")
	assert.Equal(t, 1, r.code, "30-loop timed out: %s", r.stderr)
	assert.Contains(t, r.stdout, "/ 20ms (")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte("modules:\n  20-geo: {timout: 1s}\n"), 0o644))
	assertOneLineError(t, wasmhook(t, "", "run", "--modules", dir), 2, "wasmhook.yaml: modules.20-geo.timout: unknown key")
}

// TestRunCompactPipesIntoSign: piped or with --compact, run prints the
// payload's exact bytes, nothing after them, so that run | sign signs the
// body a webhook carries (wasmhook.Sign over the library's payload).
func TestRunCompactPipesIntoSign(t *testing.T) {
	const secret = "s3cr3t"
	dir := modules(t, map[string]string{"10-fixed": "fixed", "20-branch": "active_branch"})
	raw, err := os.ReadFile("sample-event.json")
	require.NoError(t, err)
	var ev wh.Event
	require.NoError(t, json.Unmarshal(raw, &ev))
	ctx := context.Background()
	e, err := wh.New(ctx, wh.Options{Dir: dir})
	require.NoError(t, err)
	res, err := e.Enrich(ctx, &ev)
	require.NoError(t, err)
	require.NoError(t, e.Close(ctx))
	payload := string(res.Payload)
	want := wh.Sign(secret, res.Payload)

	for _, args := range [][]string{{"--compact"}, {}} {
		r := wasmhook(t, "", append([]string{"run", "--modules", dir}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, payload, r.stdout, "run %v prints the payload's exact bytes", args)
		r = wasmhook(t, r.stdout, "sign", "--secret", secret)
		assert.Equal(t, want+"\n", r.stdout, "sign signs exactly the bytes it reads")
	}

	// Through a real pipe, as the README and sign --help show it.
	sh := command("sh", "-c", `"$0" run --modules "$1" --compact | "$0" sign --secret "$2"`, binary, dir, secret)
	out, err := sh.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, want+"\n", string(out))

	r := wasmhook(t, "", "run", "--modules", dir, "--indent")
	assert.True(t, strings.HasSuffix(r.stdout, "}\n"), "indented output ends with a newline")
}
