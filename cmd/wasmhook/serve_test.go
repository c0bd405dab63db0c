package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	root "github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/redistest"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// hookReceiver is a real HTTP server on 127.0.0.1 that counts the
// deliveries of each webhook-id, taking delay for each.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	bodies [][]byte
	// hold, locked, holds the requests that arrive until it is unlocked;
	// held counts them.
	hold sync.RWMutex
	held atomic.Int64
}

func newHookReceiver(t *testing.T, delay time.Duration) *hookReceiver {
	h := &hookReceiver{counts: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		time.Sleep(delay)
		h.held.Add(1)
		h.hold.RLock()
		h.hold.RUnlock()
		h.held.Add(-1)
		h.mu.Lock()
		h.counts[req.Header.Get("webhook-id")]++
		h.bodies = append(h.bodies, body)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) snapshot() (map[string]int, [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		c[k] = v
	}
	return c, append([][]byte(nil), h.bodies...)
}

// serveProcess is a running `wasmhook serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	mu     *sync.Mutex
	done   chan error
}

// startServe runs the real binary on config (written to a file) and
// returns once it listens on 127.0.0.1.
func startServe(t *testing.T, config string) *serveProcess {
	t.Helper()
	file := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(file, []byte(config), 0o600))
	return startServeArgs(t, nil, "--config", file)
}

// startServeArgs runs serve with args and, when env is not nil, these
// environment variables besides the tests' own.
func startServeArgs(t *testing.T, env []string, args ...string) *serveProcess {
	t.Helper()
	cmd := command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &serveProcess{cmd: cmd, stderr: new(bytes.Buffer), mu: new(sync.Mutex), done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.url = <-found:
	case err := <-p.done:
		t.Fatalf("serve exited: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not start listening\n%s", p.log())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *serveProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *serveProcess) post(t *testing.T, body []byte, secret string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, p.url+"/hooks/netbox", bytes.NewReader(body))
	require.NoError(t, err)
	if secret != "" {
		req.Header.Set(root.SignatureHeader, root.Sign(secret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.ID
}

func vectorBody(t *testing.T) []byte {
	raw, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/netbox/signature-vector.txt"))
	require.NoError(t, err)
	return []byte(strings.SplitN(string(raw), "\n", 2)[0])
}

func serveConfig(t *testing.T, dataDir, receiverURL string) string {
	mods := testmod.Dir(t, map[string]string{"10-fixed": "fixed"})
	return `
listen: 127.0.0.1:0
data_dir: ` + dataDir + `
modules: ` + mods + `
sources: {netbox: {secret: {value: s3cr3t}}}
destinations:
  receiver:
    url: ` + receiverURL + `
    concurrency: 2
    sign: {standard: {value: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}
`
}

// TestServeDeliversAndStops: the real binary, over real HTTP on
// 127.0.0.1: a signed NetBox body is accepted, enriched and delivered;
// /healthz and /readyz answer; SIGTERM stops it cleanly.
func TestServeDeliversAndStops(t *testing.T) {
	rc := newHookReceiver(t, 0)
	p := startServe(t, serveConfig(t, t.TempDir(), rc.URL))
	body := vectorBody(t)
	status, _ := p.post(t, body, "wrong")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, id := p.post(t, body, "s3cr3t")
	require.Equal(t, http.StatusAccepted, status, p.log())
	require.Eventually(t, func() bool { c, _ := rc.snapshot(); return c[id] == 1 }, 10*time.Second, 10*time.Millisecond, p.log())
	_, bodies := rc.snapshot()
	assert.Equal(t, map[string]any{"active_branch": nil, "foo": 123.0}, testmod.ContextOf(t, bodies[0]))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(p.url + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err, p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM\n%s", p.log())
	}
	assert.Contains(t, p.log(), "wasmhook serve: stopped")
}

// TestServeNetBoxRequest: the request NetBox sends (testdata/netbox:
// its headers and body, the signature for the secret s3cr3t), replayed
// byte for byte over TCP to a relay configured by flags alone. It is
// accepted, and the receiver gets NetBox's body with the modules' keys
// merged into NetBox's own context, signed as NetBox signs.
func TestServeNetBoxRequest(t *testing.T) {
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		got <- delivery{req.Header.Clone(), body}
	}))
	defer rc.Close()
	mods := testmod.Dir(t, map[string]string{"10-fixed": "fixed"})
	p := startServeArgs(t, []string{"TEST_NETBOX_SECRET=s3cr3t", "TEST_RECEIVER_SECRET=r3ceiv3r"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--modules", mods,
		"--set", "sources.netbox.secret.env=TEST_NETBOX_SECRET",
		"--set", "destinations.receiver.url="+rc.URL,
		"--set", "destinations.receiver.sign={netbox: {env: TEST_RECEIVER_SECRET}}")

	raw, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/netbox/site-updated.http"))
	require.NoError(t, err)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	answer, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s\n%s", answer, p.log())

	select {
	case d := <-got:
		sent := vectorBody(t)
		assert.Equal(t, root.Sign("r3ceiv3r", d.body), d.header.Get(root.SignatureHeader))
		assert.Equal(t, "application/json", d.header.Get("Content-Type"))
		assert.Equal(t, map[string]any{"active_branch": nil, "foo": 123.0}, testmod.ContextOf(t, d.body), "NetBox's context first, the module's key after")
		var in, out map[string]any
		require.NoError(t, json.Unmarshal(sent, &in))
		require.NoError(t, json.Unmarshal(d.body, &out))
		delete(in, "context")
		delete(out, "context")
		assert.Equal(t, in, out, "the rest of NetBox's body passes unchanged")
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing delivered\n%s", p.log())
	}

	// The same bytes with the body changed by one byte: refused.
	tampered := bytes.Replace(raw, []byte(`"updated"`), []byte(`"Updated"`), 1)
	conn2, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	require.NoError(t, err)
	defer conn2.Close()
	_, err = conn2.Write(tampered)
	require.NoError(t, err)
	resp, err = http.ReadResponse(bufio.NewReader(conn2), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestServeLosesNothingOnSIGKILL: 1,000 events accepted, the process
// killed with SIGKILL while it delivers, restarted on the same data
// directory: the receiver ends with every accepted id. Duplicates (an
// attempt sent but not recorded when the process died) are allowed,
// counted and reported; missing ids are not.
func TestServeLosesNothingOnSIGKILL(t *testing.T) {
	const events = 1000
	rc := newHookReceiver(t, 2*time.Millisecond)
	data := t.TempDir()
	config := serveConfig(t, data, rc.URL)
	p := startServe(t, config)
	accepted := postEvents(t, events, p)
	require.Eventually(t, func() bool { c, _ := rc.snapshot(); return len(c) >= 100 }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, p.cmd.Process.Kill())
	<-p.done
	before, _ := rc.snapshot()
	require.Less(t, len(before), events, "killed in the middle of delivering")

	p = startServe(t, config)
	duplicates := rc.waitForAll(t, accepted, p)
	t.Logf("%d events accepted; %d delivered before SIGKILL; after the restart all delivered, %d duplicates", events, len(before), duplicates)
	assert.Less(t, duplicates, 50, "duplicates are the attempts in flight at the kill, not more")
}

// postEvents posts n signed NetBox bodies from 8 clients, to ps in turn,
// and returns the ids accepted; any other answer fails the test.
func postEvents(t *testing.T, n int, ps ...*serveProcess) map[string]bool {
	t.Helper()
	ids := make(chan string, n)
	body := vectorBody(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 8 {
				status, id := ps[i%len(ps)].post(t, body, "s3cr3t")
				if status != http.StatusAccepted {
					t.Errorf("event %d: status %d", i, status)
					return
				}
				ids <- id
			}
		}()
	}
	wg.Wait()
	close(ids)
	if t.Failed() {
		t.FailNow()
	}
	accepted := map[string]bool{}
	for id := range ids {
		accepted[id] = true
	}
	require.Len(t, accepted, n)
	return accepted
}

// waitForAll waits until every accepted id has been delivered (p's log in
// the failure), checks that no other id was, and returns how many
// deliveries were duplicates.
func (h *hookReceiver) waitForAll(t *testing.T, accepted map[string]bool, p *serveProcess) int {
	t.Helper()
	missing := func() int {
		c, _ := h.snapshot()
		n := 0
		for id := range accepted {
			if c[id] == 0 {
				n++
			}
		}
		return n
	}
	if !assert.Eventually(t, func() bool { return missing() == 0 }, 60*time.Second, 20*time.Millisecond) {
		t.Fatalf("%d of %d accepted events never delivered\n%s", missing(), len(accepted), p.log())
	}
	return h.duplicates(t, accepted)
}

// duplicates counts the deliveries beyond the first of each id, and
// checks that every id delivered was accepted.
func (h *hookReceiver) duplicates(t *testing.T, accepted map[string]bool) int {
	counts, _ := h.snapshot()
	n := 0
	for id, k := range counts {
		assert.True(t, accepted[id], "a delivery of an id never accepted: %s", id)
		n += k - 1
	}
	return n
}

// TestQueueCommands: the operator's commands on a running relay's data
// directory: dead deliveries are listed, shown, replayed (and then
// delivered by the relay) and purged.
func TestQueueCommands(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		data := t.TempDir()
		testQueueCommands(t, func(receiver string) string { return serveConfig(t, data, receiver) }, "--data-dir", data)
	})
	t.Run("redis", func(t *testing.T) {
		rs := redistest.Start(t)
		testQueueCommands(t, func(receiver string) string { return redisServeConfig(t, rs.URL(), receiver) })
	})
}

// testQueueCommands runs the queue commands on the queue of the relay
// that config makes, found by serve's configuration file (and by where,
// when given, alone).
func testQueueCommands(t *testing.T, config func(receiver string) string, where ...string) {
	var mu sync.Mutex
	refuse := true
	got := 0
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got++
	}))
	t.Cleanup(rc.Close)
	conf := config(rc.URL)
	p := startServe(t, conf)
	// serve's configuration names the queue; the operator's shell need
	// not hold the sources' secrets.
	file := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(conf, "{value: s3cr3t}", "{env: TEST_UNSET_NETBOX_SECRET}", 1)), 0o600))
	if where == nil {
		where = []string{"--config", file}
	}
	var ids []string
	for range 2 {
		status, id := p.post(t, vectorBody(t), "s3cr3t")
		require.Equal(t, http.StatusAccepted, status)
		ids = append(ids, id)
	}
	q := func(args ...string) result {
		r := wasmhook(t, "", append(append([]string{"queue"}, where...), args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		return r
	}
	require.Eventually(t, func() bool { return strings.Contains(q("stats").stdout, "dead 2\n") }, 10*time.Second, 20*time.Millisecond)
	list := q("list", "--dead").stdout
	for _, id := range ids {
		assert.Contains(t, list, id)
	}
	assert.Contains(t, list, "HTTP 400")
	var shown struct {
		ID      string
		Payload json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(q("show", ids[0]).stdout), &shown))
	assert.Equal(t, ids[0], shown.ID)
	assert.Equal(t, map[string]any{"active_branch": nil, "foo": 123.0}, testmod.ContextOf(t, shown.Payload))

	mu.Lock()
	refuse = false
	mu.Unlock()
	assert.Equal(t, "2 dead deliveries are due again\n", q("retry", "--all-dead").stdout)
	require.Eventually(t, func() bool { return strings.Contains(q("stats").stdout, "delivered 2\n") }, 10*time.Second, 20*time.Millisecond)
	mu.Lock()
	assert.Equal(t, 2, got)
	mu.Unlock()
	assert.Equal(t, "0 dead deliveries purged\n", q("purge", "--dead").stdout)
	r := wasmhook(t, "", append(append([]string{"queue"}, where...), "purge")...)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "say --dead")
	assert.Contains(t, wasmhook(t, "", "queue", "--config", file, "stats").stdout, "delivered 2\n")
}

// TestQueueCommandsBesideServe: the operator's commands on the data
// directory of a serve that has a delivery in flight leave that delivery
// to serve: the receiver gets it once. A second serve on the same data
// directory is refused in one line.
func TestQueueCommandsBesideServe(t *testing.T) {
	rc := newHookReceiver(t, 0)
	rc.hold.Lock()
	released := false
	release := func() {
		if !released {
			released = true
			rc.hold.Unlock()
		}
	}
	t.Cleanup(release)
	data := t.TempDir()
	conf := serveConfig(t, data, rc.URL)
	p := startServe(t, conf)
	status, id := p.post(t, vectorBody(t), "s3cr3t")
	require.Equal(t, http.StatusAccepted, status, p.log())
	require.Eventually(t, func() bool { return rc.held.Load() == 1 }, 10*time.Second, 10*time.Millisecond, p.log())
	for _, cmd := range [][]string{{"stats"}, {"list"}, {"stats"}} {
		r := wasmhook(t, "", append([]string{"queue", "--data-dir", data}, cmd...)...)
		require.Equal(t, 0, r.code, r.stderr)
	}
	assert.Contains(t, wasmhook(t, "", "queue", "--data-dir", data, "stats").stdout, "pending 1\n")
	// serve looks for due deliveries every 250 ms: a delivery the
	// commands had made due again would be sent a second time by now.
	time.Sleep(time.Second)
	assert.EqualValues(t, 1, rc.held.Load(), "the receiver got the delivery in flight again")

	file := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(file, []byte(conf), 0o600))
	r := wasmhook(t, "", "serve", "--config", file)
	assertOneLineError(t, r, 2, filepath.Join(data, "queue.db"), "in use", "another process delivers")

	release()
	require.Eventually(t, func() bool { c, _ := rc.snapshot(); return c[id] == 1 }, 10*time.Second, 10*time.Millisecond, p.log())
	c, _ := rc.snapshot()
	assert.Equal(t, map[string]int{id: 1}, c)
}

// TestServeRefusesABadStart: a corrupt queue file or a bad configuration
// stops serve at once with one line naming the file and the reason.
func TestServeRefusesABadStart(t *testing.T) {
	data := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(data, "queue.db"), bytes.Repeat([]byte("not a database "), 400), 0o600))
	file := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(file, []byte(serveConfig(t, data, "http://127.0.0.1:1/")), 0o600))
	r := wasmhook(t, "", "serve", "--config", file)
	assertOneLineError(t, r, 2, filepath.Join(data, "queue.db"))
	assert.Contains(t, r.stderr, "not a queue")

	require.NoError(t, os.WriteFile(file, []byte("data_dir: "+data+"\nsources: {netbox: {}}\n"), 0o600))
	r = wasmhook(t, "", "serve", "--config", file)
	assertOneLineError(t, r, 2, file, "sources.netbox: no secret")
}

// TestServeIngressOverHTTP: the bad requests of the ingress, sent to the
// real binary: each gets its status and a JSON error, and none is
// stored.
func TestServeIngressOverHTTP(t *testing.T) {
	rc := newHookReceiver(t, 0)
	data := t.TempDir()
	p := startServe(t, serveConfig(t, data, rc.URL))
	body := vectorBody(t)
	send := func(path string, b []byte, sig string) int {
		req, err := http.NewRequest(http.MethodPost, p.url+path, bytes.NewReader(b))
		require.NoError(t, err)
		if sig != "" {
			req.Header.Set(root.SignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out), path)
		assert.NotEmpty(t, out["error"])
		return resp.StatusCode
	}
	big := append([]byte(`{"event": "created", "x": "`), bytes.Repeat([]byte("x"), 2<<20)...)
	assert.Equal(t, http.StatusNotFound, send("/hooks/nope", body, root.Sign("s3cr3t", body)))
	assert.Equal(t, http.StatusUnauthorized, send("/hooks/netbox", body, ""))
	assert.Equal(t, http.StatusRequestEntityTooLarge, send("/hooks/netbox", big, root.Sign("s3cr3t", big)))
	notJSON := []byte(`{"event": `)
	assert.Equal(t, http.StatusBadRequest, send("/hooks/netbox", notJSON, root.Sign("s3cr3t", notJSON)))
	noType := []byte(`{"event": "created", "data": {}}`)
	assert.Equal(t, http.StatusUnprocessableEntity, send("/hooks/netbox", noType, root.Sign("s3cr3t", noType)))
	r := wasmhook(t, "", "queue", "--data-dir", data, "stats")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "events 0\n", "nothing stored")
}

// TestServeSlowAndFloodingClients: a client that never finishes its
// headers, or its body, is cut off at the configured timeouts; a request
// that waits behind max_concurrent others gets 503 instead of waiting on.
func TestServeSlowAndFloodingClients(t *testing.T) {
	rc := newHookReceiver(t, 0)
	config := serveConfig(t, t.TempDir(), rc.URL) + "server: {read_header_timeout: 300ms, read_timeout: 1s, max_concurrent: 1}\n"
	p := startServe(t, config)
	addr := strings.TrimPrefix(p.url, "http://")
	closedWithin := func(conn net.Conn, limit time.Duration) time.Duration {
		start := time.Now()
		conn.SetReadDeadline(start.Add(limit))
		_, err := io.ReadAll(conn)
		require.NoError(t, err, "the server closed the connection before %v", limit)
		return time.Since(start)
	}

	// Headers that never end.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	io.WriteString(conn, "POST /hooks/netbox HTTP/1.1\r\nHost: x\r\n")
	assert.Less(t, closedWithin(conn, 10*time.Second), 10*time.Second)

	// A body that never ends holds the only slot until read_timeout;
	// meanwhile another request waits read_header_timeout, then 503.
	slow, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer slow.Close()
	io.WriteString(slow, "POST /hooks/netbox HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"event\":")
	time.Sleep(100 * time.Millisecond)
	status, _ := p.post(t, vectorBody(t), "s3cr3t")
	assert.Equal(t, http.StatusServiceUnavailable, status, "past max_concurrent, refused")
	slowAnswer, err := io.ReadAll(io.LimitReader(slow, 1<<10))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(slowAnswer), "HTTP/1.1 408 "), "the slow body is refused: %s", slowAnswer)
	// The slot is free again.
	status, _ = p.post(t, vectorBody(t), "s3cr3t")
	assert.Equal(t, http.StatusAccepted, status)
}

// TestServeRetriesUntilDelivered: the real binary, a receiver that
// fails three times (503, 500, 429) and then takes the event: it gets
// four attempts, each with the same id and the same body.
func TestServeRetriesUntilDelivered(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	var bodies [][]byte
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, req.Header.Get("webhook-id"))
		bodies = append(bodies, b)
		if status := []int{503, 500, 429}; len(ids) <= len(status) {
			w.WriteHeader(status[len(ids)-1])
		}
	}))
	t.Cleanup(rc.Close)
	data := t.TempDir()
	config := strings.Replace(serveConfig(t, data, rc.URL), "    concurrency: 2\n", "    concurrency: 2\n    retry: [50ms, 50ms, 50ms, 50ms]\n", 1)
	p := startServe(t, config)
	status, id := p.post(t, vectorBody(t), "s3cr3t")
	require.Equal(t, http.StatusAccepted, status)
	stats := func() string { return wasmhook(t, "", "queue", "--data-dir", data, "stats").stdout }
	require.Eventually(t, func() bool { return strings.Contains(stats(), "delivered 1\n") }, 20*time.Second, 20*time.Millisecond, p.log())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ids, 4)
	for i := range ids {
		assert.Equal(t, id, ids[i], "the same webhook-id on every attempt")
		assert.Equal(t, bodies[0], bodies[i], "the same bytes on every attempt")
	}
}

// TestServeWithoutItsDisk: the data directory read-only, or the disk
// full (a file-size limit stands in for it: filling a real disk needs
// privileges), at start: serve stops with one line naming the place and
// the reason, not a crash.
func TestServeWithoutItsDisk(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		// Root writes anywhere: serve runs as nobody, from a directory
		// nobody can read.
		dir := t.TempDir()
		for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
			require.NoError(t, os.Chmod(d, 0o755))
		}
		bin := filepath.Join(dir, "wasmhook")
		raw, err := os.ReadFile(binary)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(bin, raw, 0o755))
		data := filepath.Join(dir, "data")
		require.NoError(t, os.Mkdir(data, 0o555))
		file := filepath.Join(dir, "serve.yaml")
		require.NoError(t, os.WriteFile(file, []byte("data_dir: "+data+"\nsources: {s: {unsigned: true}}\ndestinations: {d: {url: 'http://127.0.0.1:1/'}}\n"), 0o644))
		cmd := command(bin, "serve", "--config", file)
		if os.Getuid() == 0 {
			if cmd.SysProcAttr == nil {
				cmd.SysProcAttr = &syscall.SysProcAttr{}
			}
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, stderr.String())
		assertOneLineError(t, result{code: exit.ExitCode(), stderr: stderr.String()}, 2, data, "cannot create files")
	})
	t.Run("disk-full", func(t *testing.T) {
		data := t.TempDir()
		file := filepath.Join(t.TempDir(), "serve.yaml")
		require.NoError(t, os.WriteFile(file, []byte("data_dir: "+data+"\nsources: {s: {unsigned: true}}\ndestinations: {d: {url: 'http://127.0.0.1:1/'}}\n"), 0o644))
		// ulimit -f counts 512-byte blocks: 8 KiB, less than the schema.
		r := func() result {
			cmd := command("sh", "-c", `ulimit -f 16 && exec "$0" serve --config "$1"`, binary, file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			return result{code: code, stderr: stderr.String()}
		}()
		assertOneLineError(t, r, 2, filepath.Join(data, "queue.db"), "disk full", "ulimit -f")
	})
}
