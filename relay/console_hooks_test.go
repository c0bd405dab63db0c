package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// TestConsoleConfig: the console is off without a token; a token must
// be long enough; the session has a default.
func TestConsoleConfig(t *testing.T) {
	base := "data_dir: /tmp/x\nsources: {s: {unsigned: true}}\ndestinations: {d: {url: http://127.0.0.1:1/}}\n"
	cfg, err := relay.ParseConfig("serve.yaml", []byte(base))
	require.NoError(t, err)
	assert.False(t, cfg.Console.Enabled())
	cfg, err = relay.ParseConfig("serve.yaml", []byte(base+"console: {token: {value: 0123456789abcdef}}\n"))
	require.NoError(t, err)
	assert.True(t, cfg.Console.Enabled())
	assert.Equal(t, 12*time.Hour, cfg.Console.Session)
	_, err = relay.ParseConfig("serve.yaml", []byte(base+"console: {token: {value: short}}\n"))
	assert.ErrorContains(t, err, "serve.yaml: console.token: shorter than 16 characters")
	assert.NotContains(t, err.Error(), "short\"")
	_, err = relay.ParseConfig("serve.yaml", []byte(base+"console: {token: {env: WASMHOOK_TEST_UNSET_TOKEN}}\n"))
	assert.ErrorContains(t, err, "console.token: the environment variable WASMHOOK_TEST_UNSET_TOKEN is not set")
}

// TestConfigRedacted: the configuration the console shows holds no
// secret, whatever form it was given in, and keeps the names of the
// files and variables secrets come from.
func TestConfigRedacted(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "whsec")
	require.NoError(t, os.WriteFile(file, []byte(whsec+"\n"), 0o600))
	t.Setenv("TEST_NETBOX_OUT_SECRET", "env-secret-value")
	cfg, err := relay.ParseConfig("serve.yaml", []byte(`
data_dir: `+dir+`
sources: {netbox: {secret: {value: source-secret-value}}}
destinations:
  crm:
    url: https://user:url-password@crm.example:8443/hooks/path-secret-value?token=query-secret-value
    headers: {Authorization: Bearer header-secret-value}
    sign: {netbox: {env: TEST_NETBOX_OUT_SECRET}, standard: {file: `+file+`}}
console: {token: {value: console-token-value-0123}}
queue: redis://user:redis-url-password@127.0.0.1:6379/0
redis: {password: {value: redis-password-value}}
`))
	require.NoError(t, err)
	r, err := relay.New(cfg, nil, nil, nil)
	require.NoError(t, err)
	red := r.Config()
	text := fmt.Sprintf("%+v %#v", red, red)
	for _, d := range red.Destinations {
		text += fmt.Sprintf(" %+v %v %v", d, d.URL, d.Headers)
	}
	for _, secret := range []string{"source-secret-value", "url-password", "path-secret-value", "query-secret-value",
		"header-secret-value", "env-secret-value", "MfKQ9r8G", "console-token-value", "redis-url-password", "redis-password-value"} {
		assert.NotContains(t, text, secret)
	}
	crm := red.Destinations["crm"]
	assert.Equal(t, "https://crm.example:8443/…", crm.URL)
	assert.Equal(t, map[string]string{"Authorization": "(redacted)"}, crm.Headers)
	assert.Equal(t, "TEST_NETBOX_OUT_SECRET", crm.Sign.NetBox.Env)
	assert.Equal(t, file, crm.Sign.Standard.File)
	assert.Equal(t, "(redacted)", red.Sources["netbox"].Secret.Value)
	assert.Equal(t, "https://user:url-password@crm.example:8443/hooks/path-secret-value?token=query-secret-value", cfg.Destinations["crm"].URL, "the relay's own is untouched")
}

// TestAttemptErrorsHideTheURL: an attempt that reaches no receiver is
// recorded (for the console and the log) without the destination's URL,
// whose path and query hold secrets.
func TestAttemptErrorsHideTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	h := start(t, `
data_dir: DATA
sources: {open: {unsigned: true}}
destinations: {d: {url: "http://`+addr+`/hooks/path-secret-value?token=query-secret-value", retry: []}}
`)
	status, out := h.post(t, "open", netboxBody(t), "")
	require.Equal(t, http.StatusAccepted, status)
	var ds []queue.Delivery
	require.Eventually(t, func() bool {
		ds, err = h.queue.List(context.Background(), queue.Filter{State: queue.Dead})
		return err == nil && len(ds) == 1
	}, 10*time.Second, 5*time.Millisecond)
	_, _, attempts, err := h.queue.Event(context.Background(), out["id"])
	require.NoError(t, err)
	for _, text := range []string{ds[0].LastError, attempts[ds[0].ID][0].Error} {
		assert.Contains(t, text, "http://"+addr+"/…")
		assert.Contains(t, text, "connection refused")
		assert.NotContains(t, text, "secret-value")
	}
}

// TestConsoleHooks: what the relay keeps for the console. An accepted
// event's request id and report (each callback's keys and error class);
// Try enriches without storing; Replay of a dead delivery delivers it;
// counts and the last reload.
func TestConsoleHooks(t *testing.T) {
	rc := newReceiver(t, http.StatusGone)
	h := start(t, `
data_dir: DATA
sources: {netbox: {unsigned: true}}
destinations: {d: {url: `+rc.URL+`}}
`)
	ctx := context.Background()
	body := netboxBody(t)
	var in struct {
		RequestID string `json:"request_id"`
	}
	require.NoError(t, json.Unmarshal(body, &in))
	status, out := h.post(t, "netbox", body, "")
	require.Equal(t, http.StatusAccepted, status)
	ev, _, _, err := h.queue.Event(ctx, out["id"])
	require.NoError(t, err)
	assert.Equal(t, in.RequestID, ev.RequestID)
	rep, err := relay.ParseReport(ev.Report)
	require.NoError(t, err)
	require.Len(t, rep.Callbacks, 1)
	assert.Equal(t, relay.CallbackReport{Name: "10-fixed", Kind: "reactor", TimeNS: rep.Callbacks[0].TimeNS, OutputBytes: 11, Keys: []string{"foo"}}, rep.Callbacks[0])

	var ds []queue.Delivery
	require.Eventually(t, func() bool {
		ds, err = h.queue.List(ctx, queue.Filter{State: queue.Dead})
		return err == nil && len(ds) == 1
	}, 10*time.Second, 5*time.Millisecond, "410 Gone: dead at once")
	require.NoError(t, h.relay.Replay(ctx, ds[0].ID))
	require.Eventually(t, func() bool { return len(rc.requests()) == 2 }, 10*time.Second, 5*time.Millisecond, "replayed, the delivery is sent again")
	require.Eventually(t, func() bool {
		st, err := h.queue.Stats(ctx)
		return err == nil && st.Delivered == 1
	}, 10*time.Second, 5*time.Millisecond)
	n, err := h.relay.ReplayDead(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)

	act := h.relay.Activity()
	assert.Equal(t, relay.Counts{Received: 1, Delivered: 1, Dead: 1}, act.Day)
	require.Len(t, act.Callbacks, 1)
	assert.Equal(t, int64(1), act.Callbacks[0].Day.Calls)

	trial, err := h.relay.Try(ctx, body)
	require.NoError(t, err)
	assert.NoError(t, trial.Err)
	assert.Equal(t, []string{"d"}, trial.Destinations)
	assert.Contains(t, string(trial.Result.Payload), `"foo": 123`)
	st, err := h.queue.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Events, "a trial stores nothing")
	assert.Equal(t, int64(1), h.relay.Activity().Day.Received, "nor counts")
	_, err = h.relay.Try(ctx, []byte(`{"event": "created"}`))
	assert.ErrorIs(t, err, wasmhook.ErrInvalidEvent)

	last, started := h.relay.LastReload()
	assert.True(t, last.At.IsZero())
	assert.False(t, started.IsZero())
	h.relay.Reloaded(nil, fmt.Errorf("boom"))
	last, _ = h.relay.LastReload()
	assert.EqualError(t, last.Err, "boom")
	resp, err := http.Get(h.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a failed reload shows on /readyz too")
	assert.True(t, strings.HasPrefix(relay.RedactURL("http://a.example/x?y=1"), "http://a.example/"))
}
