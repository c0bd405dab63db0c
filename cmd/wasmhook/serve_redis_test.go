package main_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/redistest"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// redisServeConfig is serveConfig on a Redis queue, each attempt bounded
// by a second (so that a lease, twice that and 10 s, ends soon).
func redisServeConfig(t *testing.T, redisURL, receiverURL string) string {
	return strings.Replace(serveConfig(t, t.TempDir(), receiverURL), "concurrency: 2", "concurrency: 4\n    timeout: 1s", 1) +
		"queue: " + redisURL + "\n"
}

// metric reads one sample of a Prometheus metric from url's /metrics.
func metric(t *testing.T, url, name string) float64 {
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	require.NotNil(t, m, "%s not in /metrics:\n%s", name, body)
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}

// TestServeRedisInstanceKilled: two serve instances on one Redis, 2,000
// events posted across both, one killed with SIGKILL while it delivers:
// the survivor delivers the rest, the dead one's claimed deliveries
// included once their lease ends, and its metrics count them.
func TestServeRedisInstanceKilled(t *testing.T) {
	const events = 2000
	rs := redistest.Start(t)
	rc := newHookReceiver(t, 2*time.Millisecond)
	a := startServe(t, redisServeConfig(t, rs.URL(), rc.URL))
	b := startServe(t, redisServeConfig(t, rs.URL(), rc.URL))
	accepted := postEvents(t, events, a, b)
	require.Eventually(t, func() bool { c, _ := rc.snapshot(); return len(c) >= 300 }, 30*time.Second, 5*time.Millisecond)
	// Both instances' attempts in flight are held at the receiver (4
	// each), so that the one killed dies with deliveries sent and not
	// recorded: the receiver counts them when they are let go, and the
	// survivor sends them again after their lease.
	rc.hold.Lock()
	require.Eventually(t, func() bool { return rc.held.Load() == 8 }, 10*time.Second, time.Millisecond)
	require.NoError(t, a.cmd.Process.Kill())
	<-a.done
	rc.hold.Unlock()
	before, _ := rc.snapshot()
	require.Less(t, len(before), events, "killed in the middle of delivering")

	rc.waitForAll(t, accepted, b)
	// The killed instance's 4 deliveries reached the receiver, which
	// counted them when let go; their lease ends and the survivor sends
	// them again.
	require.Eventually(t, func() bool { return metric(t, b.url, "wasmhook_queue_reclaimed_total") == 4 }, 60*time.Second, 50*time.Millisecond, b.log())
	require.Eventually(t, func() bool { return rc.duplicates(t, accepted) == 4 }, 10*time.Second, 20*time.Millisecond)
	duplicates := rc.duplicates(t, accepted)
	counts, _ := rc.snapshot()
	reclaimed := metric(t, b.url, "wasmhook_queue_reclaimed_total")
	t.Logf("%d events accepted by two instances; %d delivered before one was killed; the survivor delivered the rest: %d ids, %d duplicates, %.0f deliveries reclaimed from the dead instance",
		events, len(before), len(counts), duplicates, reclaimed)
	assert.Equal(t, 4.0, reclaimed, "the survivor took over the killed instance's 4 deliveries in flight")
	assert.Equal(t, 4, duplicates, "each of them had reached the receiver: a duplicate")
}

// TestServeRedisRestarted: Redis killed (SIGKILL) and started again while
// events arrive, its append-only file on: ingress answers 503 while it is
// away and 202 again by itself when it is back, and every event answered
// 202 is delivered.
func TestServeRedisRestarted(t *testing.T) {
	rs := redistest.Start(t)
	rc := newHookReceiver(t, 0)
	p := startServe(t, redisServeConfig(t, rs.URL(), rc.URL))
	body := vectorBody(t)
	var mu sync.Mutex
	var accepted []string
	var refused, after atomic.Int64
	var down atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, id := p.post(t, body, "s3cr3t")
				switch status {
				case http.StatusAccepted:
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
					if !down.Load() && refused.Load() > 0 {
						after.Add(1)
					}
				case http.StatusServiceUnavailable:
					refused.Add(1)
				default:
					t.Errorf("status %d", status)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	down.Store(true)
	rs.Kill()
	require.Eventually(t, func() bool { return refused.Load() > 0 }, 15*time.Second, 10*time.Millisecond, "no 503 while Redis is away")
	resp, err := http.Get(p.url + "/readyz")
	require.NoError(t, err)
	why, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, string(why), "unavailable")
	rs.Restart()
	down.Store(false)
	require.Eventually(t, func() bool { return after.Load() >= 20 }, 30*time.Second, 10*time.Millisecond, "ingress did not recover\n%s", p.log())
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	missing := func() []string {
		c, _ := rc.snapshot()
		var out []string
		for _, id := range accepted {
			if c[id] == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	if !assert.Eventually(t, func() bool { return len(missing()) == 0 }, 60*time.Second, 20*time.Millisecond) {
		t.Fatalf("%d of %d acknowledged events lost\n%s", len(missing()), len(accepted), p.log())
	}
	t.Logf("%d events acknowledged, %d refused with 503 while Redis was away, all acknowledged delivered", len(accepted), refused.Load())
}

// TestServeRedisUnreachableAtStart: serve starts with its Redis away: one
// line says so, /readyz is not ready and ingress answers 503, not a
// crash; when Redis comes up, serve opens the queue by itself.
func TestServeRedisUnreachableAtStart(t *testing.T) {
	rs := redistest.Start(t)
	rs.Kill()
	rc := newHookReceiver(t, 0)
	p := startServe(t, redisServeConfig(t, rs.URL(), rc.URL))
	lines := regexp.MustCompile(`(?m)^.*the queue is unavailable.*$`).FindAllString(p.log(), -1)
	require.Len(t, lines, 1, p.log())
	assert.Contains(t, lines[0], rs.Addr())
	resp, err := http.Get(p.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	status, _ := p.post(t, vectorBody(t), "s3cr3t")
	assert.Equal(t, http.StatusServiceUnavailable, status)

	rs.Restart()
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 15*time.Second, 50*time.Millisecond, p.log())
	status, id := p.post(t, vectorBody(t), "s3cr3t")
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool { c, _ := rc.snapshot(); return c[id] == 1 }, 10*time.Second, 10*time.Millisecond, p.log())
	assert.NotContains(t, p.log(), "failed to dial", "go-redis's own dial errors stay out of serve's log")
}

// TestServeRedisModulesShareState: on a Redis queue, modules' kv_* state
// is in that Redis: what a module set while one instance enriched an
// event, the same module reads while another instance enriches the next.
func TestServeRedisModulesShareState(t *testing.T) {
	rs := redistest.Start(t)
	rc := newHookReceiver(t, 0)
	mods := testmod.Dir(t, map[string]string{"10-last": "kv_last"})
	config := func() string {
		return strings.Replace(redisServeConfig(t, rs.URL(), rc.URL), "modules: ", "modules: "+mods+"\n# ", 1)
	}
	a := startServe(t, config())
	b := startServe(t, config())
	body := vectorBody(t)
	for _, p := range []*serveProcess{a, b} {
		status, _ := p.post(t, body, "s3cr3t")
		require.Equal(t, http.StatusAccepted, status, p.log())
	}
	require.Eventually(t, func() bool { _, bodies := rc.snapshot(); return len(bodies) == 2 }, 10*time.Second, 10*time.Millisecond)
	_, bodies := rc.snapshot()
	prev := []any{}
	for _, b := range bodies {
		prev = append(prev, testmod.ContextOf(t, b)["prev"])
	}
	// One of the two read nothing (the first), the other what it set:
	// the site's name, set on the other instance.
	assert.Equal(t, []any{nil, "Zürich <1>"}, prev, "the second instance read the first one's value")
}
