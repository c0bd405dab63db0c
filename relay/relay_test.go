package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on 127.0.0.1 that answers each request
// with the next status of a script (200 once the script is used up).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	script []int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	rc := &receiver{script: script}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{req.Header.Clone(), body})
		status := http.StatusOK
		if len(rc.script) > 0 {
			status, rc.script = rc.script[0], rc.script[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "status "+strconv.Itoa(status))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// harness is a relay over a real queue and real modules, served over
// real HTTP on 127.0.0.1, delivering until the test ends.
type harness struct {
	url   string
	queue queue.Queue
	relay *relay.Relay
}

func start(t *testing.T, config string) *harness {
	t.Helper()
	return startWrapped(t, config, nil)
}

// startWrapped is start with the queue seen through wrap (nil: as is).
func startWrapped(t *testing.T, config string, wrap func(queue.Queue) queue.Queue) *harness {
	t.Helper()
	dir := t.TempDir()
	mods := testmod.Dir(t, map[string]string{"10-fixed": "fixed"})
	config = strings.ReplaceAll(config, "DATA", dir)
	cfg, err := relay.ParseConfig("serve.yaml", []byte(config))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: mods, Logger: testmod.Logger(io.Discard), ReportKeys: true})
	require.NoError(t, err)
	sq, err := queue.Open(cfg.DataDir, queue.Options{})
	require.NoError(t, err)
	var q queue.Queue = sq
	if wrap != nil {
		q = wrap(q)
	}
	r, err := relay.New(cfg, e, q, testmod.Logger(io.Discard))
	require.NoError(t, err)
	srv := httptest.NewServer(r.Handler())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		q.Close()
		e.Close(context.Background())
	})
	return &harness{url: srv.URL, queue: q, relay: r}
}

func (h *harness) post(t *testing.T, source string, body []byte, signature string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/"+source, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(wasmhook.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func netboxBody(t *testing.T) []byte {
	raw, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/netbox/signature-vector.txt"))
	require.NoError(t, err)
	return []byte(strings.SplitN(string(raw), "\n", 2)[0])
}

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// TestAcceptEnrichDeliver: a signed NetBox body is accepted (202 and an
// id) and delivered enriched (NetBox's own context kept, the module's
// merged after it), signed both ways, with the event's id as
// webhook-id.
func TestAcceptEnrichDeliver(t *testing.T) {
	rc := newReceiver(t)
	h := start(t, `
data_dir: DATA
sources: {netbox: {secret: {value: s3cr3t}}}
destinations:
  inventory:
    url: `+rc.URL+`
    headers: {X-Env: test}
    sign: {netbox: {value: out-secret}, standard: {value: `+whsec+`}}
`)
	body := netboxBody(t)
	status, out := h.post(t, "netbox", body, wasmhook.Sign("s3cr3t", body))
	require.Equal(t, http.StatusAccepted, status, out)
	id := out["id"]
	require.NotEmpty(t, id)
	require.Eventually(t, func() bool { return len(rc.requests()) == 1 }, 10*time.Second, 5*time.Millisecond)
	got := rc.requests()[0]
	assert.Equal(t, map[string]any{"active_branch": nil, "foo": 123.0}, testmod.ContextOf(t, got.body))
	assert.True(t, strings.HasSuffix(string(got.body), `"context": {"active_branch": null, "foo": 123}}`), "NetBox's context first")
	assert.Equal(t, "test", got.header.Get("X-Env"))
	assert.True(t, wasmhook.Verify("out-secret", got.body, got.header.Get(wasmhook.SignatureHeader)))
	assert.Equal(t, id, got.header.Get("webhook-id"))
	ts, err := strconv.ParseInt(got.header.Get("webhook-timestamp"), 10, 64)
	require.NoError(t, err)
	key, err := relay.StandardKey(whsec)
	require.NoError(t, err)
	assert.Equal(t, relay.StandardSignature(key, id, ts, got.body), got.header.Get("webhook-signature"))
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(context.Background())
		return err == nil && st.Delivered == 1 && st.Pending == 0
	}, 5*time.Second, 5*time.Millisecond)
	m := h.metrics(t)
	for _, line := range []string{
		`wasmhook_events_received_total{source="netbox"} 1`,
		`wasmhook_delivery_attempts_total{destination="inventory",outcome="delivered"} 1`,
		`wasmhook_callback_seconds_count{callback="10-fixed"} 1`,
		`wasmhook_enrich_seconds_count 1`,
		`wasmhook_queue_pending 0`,
		`wasmhook_queue_up 1`,
	} {
		assert.Contains(t, m, line+"\n")
	}
	for _, secret := range []string{"s3cr3t", "out-secret", "MfKQ9r8G"} {
		assert.NotContains(t, m, secret)
	}
}

// metrics returns the relay's /metrics page.
func (h *harness) metrics(t *testing.T) string {
	resp, err := http.Get(h.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestIngressRefusals: every bad request gets its status and a one-line
// JSON error, and nothing is enqueued.
func TestIngressRefusals(t *testing.T) {
	rc := newReceiver(t)
	h := start(t, `
data_dir: DATA
max_body: 4KiB
sources: {netbox: {secret: {value: s3cr3t}}, open: {unsigned: true}}
destinations: {d: {url: `+rc.URL+`}}
`)
	body := netboxBody(t)
	cases := []struct {
		source, sig string
		body        []byte
		status      int
		code        string
	}{
		{"nope", "", body, http.StatusNotFound, "unknown_source"},
		{"netbox", "", body, http.StatusUnauthorized, "bad_signature"},
		{"netbox", wasmhook.Sign("wrong", body), body, http.StatusUnauthorized, "bad_signature"},
		{"open", "", bytes.Repeat([]byte(" "), 5<<10), http.StatusRequestEntityTooLarge, "too_large"},
		{"open", "", []byte(`{"event": `), http.StatusBadRequest, "not_json"},
		{"open", "", []byte(`{"event": "created"}`), http.StatusUnprocessableEntity, "invalid_event"},
		{"open", "", []byte(`[1, 2]`), http.StatusUnprocessableEntity, "invalid_event"},
	}
	for _, c := range cases {
		status, out := h.post(t, c.source, c.body, c.sig)
		assert.Equal(t, c.status, status, "%s %.30s: %v", c.source, c.body, out)
		assert.Equal(t, c.code, out["error"])
		assert.NotEmpty(t, out["message"])
	}
	st, err := h.queue.Stats(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.Events, "nothing enqueued")
	// An unsigned source takes the same body.
	status, _ := h.post(t, "open", body, "")
	assert.Equal(t, http.StatusAccepted, status)
	// POST /events is the source named events, here not configured.
	resp, err := http.Post(h.url+"/events", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	m := h.metrics(t)
	assert.Contains(t, m, `wasmhook_events_rejected_total{reason="unknown_source",source=""} 2`+"\n", "an unknown name (nope, and /events unconfigured) makes no series of its own")
	assert.Contains(t, m, `wasmhook_events_rejected_total{reason="bad_signature",source="netbox"} 2`+"\n")
	assert.Contains(t, m, `wasmhook_events_rejected_total{reason="invalid_event",source="open"} 2`+"\n")
}

// TestPostEvents: POST /events takes wasmhook's event JSON (the
// command's format) for the source named events, and /hooks/{source}
// takes it too.
func TestPostEvents(t *testing.T) {
	rc := newReceiver(t)
	h := start(t, `
data_dir: DATA
sources: {events: {secret: {value: k}}, netbox: {unsigned: true}}
destinations: {d: {url: `+rc.URL+`}}
`)
	ev, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/netbox/site-updated.json"))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, h.url+"/events", bytes.NewReader(ev))
	require.NoError(t, err)
	req.Header.Set(wasmhook.SignatureHeader, wasmhook.Sign("k", ev))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	status, _ := h.post(t, "netbox", ev, "")
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool { return len(rc.requests()) == 2 }, 10*time.Second, 5*time.Millisecond)
	for _, got := range rc.requests() {
		assert.Equal(t, map[string]any{"foo": 123.0}, testmod.ContextOf(t, got.body))
		assert.Contains(t, string(got.body), `"event": "updated"`)
		assert.NotContains(t, string(got.body), "0123456789abcdef", "the request's Authorization header never goes out")
	}
}

// TestRetriesUntilDelivered: a receiver that fails twice (503, then 429
// with Retry-After: 0) gets the event a third time, with the same id
// and the same body; one that says 400 gets it once, and it is dead.
func TestRetriesUntilDelivered(t *testing.T) {
	flaky := newReceiver(t, http.StatusServiceUnavailable, http.StatusTooManyRequests)
	refuses := newReceiver(t, http.StatusBadRequest)
	h := start(t, `
data_dir: DATA
sources: {netbox: {unsigned: true}}
destinations:
  flaky: {url: `+flaky.URL+`, retry: [20ms, 20ms, 20ms]}
  refuses: {url: `+refuses.URL+`, retry: [20ms]}
`)
	status, out := h.post(t, "netbox", netboxBody(t), "")
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(context.Background())
		return err == nil && st.Delivered == 1 && st.Dead == 1
	}, 10*time.Second, 10*time.Millisecond)
	got := flaky.requests()
	require.Len(t, got, 3)
	for _, r := range got[1:] {
		assert.Equal(t, got[0].body, r.body, "every attempt sends the same bytes")
	}
	assert.Len(t, refuses.requests(), 1, "a 400 is not retried")
	ev, deliveries, attempts, err := h.queue.Event(context.Background(), out["id"])
	require.NoError(t, err)
	assert.Equal(t, out["id"], ev.ID)
	require.Len(t, deliveries, 2)
	for _, d := range deliveries {
		switch d.Destination {
		case "flaky":
			assert.Equal(t, queue.Delivered, d.State)
			require.Len(t, attempts[d.ID], 3)
			assert.Equal(t, []int{503, 429, 200}, []int{attempts[d.ID][0].Status, attempts[d.ID][1].Status, attempts[d.ID][2].Status})
		case "refuses":
			assert.Equal(t, queue.Dead, d.State)
			assert.Equal(t, 400, d.LastStatus)
		}
	}
}

// gatedRecords is a queue whose Succeeded waits until gate is closed: a
// queue slow to write.
type gatedRecords struct {
	queue.Queue
	gate chan struct{}
}

func (g gatedRecords) Succeeded(ctx context.Context, id string, a queue.Attempt) error {
	<-g.gate
	return g.Queue.Succeeded(ctx, id, a)
}

// TestSlowQueueWritesDoNotHoldTheReceiver: an attempt gives its slot
// back once the receiver has answered, not once its outcome is written:
// with concurrency 2 and the queue's writes stuck, the receiver gets 4
// requests (2 attempts, 2 outcomes waiting), no more, and every event is
// delivered once the writes go through.
func TestSlowQueueWritesDoNotHoldTheReceiver(t *testing.T) {
	rc := newReceiver(t)
	gate := make(chan struct{})
	h := startWrapped(t, `
data_dir: DATA
sources: {netbox: {unsigned: true}}
destinations:
  rc: {url: `+rc.URL+`, concurrency: 2}
`, func(q queue.Queue) queue.Queue { return gatedRecords{q, gate} })
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open) // before the harness's: a failed test must not hang its cleanup
	for range 10 {
		status, _ := h.post(t, "netbox", netboxBody(t), "")
		require.Equal(t, http.StatusAccepted, status)
	}
	require.Eventually(t, func() bool { return len(rc.requests()) == 4 }, 10*time.Second, 5*time.Millisecond,
		"with the queue's writes stuck, the receiver should get 2 attempts plus 2 waiting to be written")
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, rc.requests(), 4, "outcomes waiting to be written are bounded by the concurrency")
	open()
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(context.Background())
		return err == nil && st.Delivered == 10
	}, 10*time.Second, 10*time.Millisecond)
}

// TestRetention: an event whose deliveries are all delivered is deleted
// once it is older than the retention; one with a dead delivery stays.
func TestRetention(t *testing.T) {
	rc := newReceiver(t)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer refuse.Close()
	h := start(t, `
data_dir: DATA
retention: 200ms
sources: {netbox: {unsigned: true}, lab: {unsigned: true}}
destinations:
  inventory: {url: `+rc.URL+`, filter: {object_types: [dcim.site]}}
  audit: {url: `+refuse.URL+`, filter: {object_types: [dcim.device]}}
`)
	site := netboxBody(t)
	device := bytes.Replace(site, []byte(`"object_type": "dcim.site"`), []byte(`"object_type": "dcim.device"`), 1)
	require.NotEqual(t, site, device)
	status, kept := h.post(t, "lab", device, "")
	require.Equal(t, http.StatusAccepted, status)
	for range 3 {
		status, _ := h.post(t, "netbox", site, "")
		require.Equal(t, http.StatusAccepted, status)
	}
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(context.Background())
		return err == nil && st.Events == 1 && st.Dead == 1 && st.Delivered == 0
	}, 10*time.Second, 20*time.Millisecond, "the delivered events were not deleted past the retention")
	_, _, _, err := h.queue.Event(context.Background(), kept["id"])
	require.NoError(t, err, "the event with a dead delivery stays")
	assert.Len(t, rc.requests(), 3)
	assert.Contains(t, h.metrics(t), "wasmhook_queue_pruned_total 3")
}

// TestRetentionTiny: a retention of a nanosecond is a retention (every
// delivered event goes at the next look), not a panic of the pruner's
// ticker.
func TestRetentionTiny(t *testing.T) {
	rc := newReceiver(t)
	h := start(t, `
data_dir: DATA
retention: 1ns
sources: {netbox: {unsigned: true}}
destinations: {inventory: {url: `+rc.URL+`}}
`)
	status, _ := h.post(t, "netbox", netboxBody(t), "")
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(context.Background())
		return err == nil && st.Events == 0 && len(rc.requests()) == 1
	}, 10*time.Second, 10*time.Millisecond)
}
