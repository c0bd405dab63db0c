package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// chromiumPackage is the Debian package the browser tests run, as
// `make tools` installs it.
const chromiumPackage = "chromium=156.0.8078.129-1~deb12u1"

// chromium returns the browser's path. Without one, a test fails when CI
// is set (CI installs it: the test must not pass by being skipped) and
// is skipped otherwise, saying how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("WASMHOOK_CHROMIUM"), "/usr/bin/chromium", "chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "chromium is not installed: apt-get install -y " + chromiumPackage + " (or make tools), or set WASMHOOK_CHROMIUM"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// screenshots is where the browser tests save their screenshots:
// $WASMHOOK_SCREENSHOTS, or a temporary directory.
func screenshots(t *testing.T) string {
	dir := os.Getenv("WASMHOOK_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Logf("screenshots in %s", dir)
	return dir
}

// switchReceiver answers 400 (no retry: dead at once) until accept is
// called, then 200; it counts what it got per webhook-id.
type switchReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	accept bool
	got    map[string]int
}

func newSwitchReceiver(t *testing.T, accept bool) *switchReceiver {
	rc := &switchReceiver{accept: accept, got: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if !rc.accept {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error": "unknown site"}`)
			return
		}
		rc.got[req.Header.Get("webhook-id")]++
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *switchReceiver) received(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got[id]
}

func (rc *switchReceiver) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.got {
		n += c
	}
	return n
}

// TestConsoleInABrowser: the real binary, its console in Debian's
// Chromium over 127.0.0.1, as an operator uses it: log in (the Secure
// session cookie works on http://127.0.0.1), open every page, filter the
// deliveries, open an event, replay its dead delivery and see the
// receiver get it, try an event; the event page read on a phone's width
// needs no sideways scrolling. Each step saves a screenshot.
func TestConsoleInABrowser(t *testing.T) {
	browser := chromium(t)
	shots := screenshots(t)
	inventory := newSwitchReceiver(t, true)
	crm := newSwitchReceiver(t, false)
	mods := testmod.Dir(t, map[string]string{
		"10-active_branch": filepath.Join(testmod.Root, "examples/wat/active_branch.wasm"),
		"20-wat":           filepath.Join(testmod.Root, "examples/wat/site_status.wasm"),
		"30-c":             filepath.Join(testmod.Root, "examples/c/site_status.wasm"),
	})
	const token = "browser-test-token-0123456789"
	dataDir := t.TempDir()
	config := filepath.Join(t.TempDir(), "serve.yaml")
	require.NoError(t, os.WriteFile(config, []byte(`
listen: 127.0.0.1:0
data_dir: `+dataDir+`
modules: `+mods+`
sources: {netbox: {secret: {value: s3cr3t}}}
destinations:
  inventory: {url: `+inventory.URL+`}
  crm:
    url: `+crm.URL+`
    filter: {object_types: [dcim.site]}
    sign: {standard: {value: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}
console: {token: {env: WASMHOOK_ADMIN_TOKEN}}
`), 0o600))
	p := startServeArgs(t, []string{"WASMHOOK_ADMIN_TOKEN=" + token}, "--config", config)

	site := vectorBody(t)
	var device map[string]any
	require.NoError(t, json.Unmarshal(site, &device))
	device["object_type"], device["event"] = "dcim.device", "created"
	deviceBody, err := json.Marshal(device)
	require.NoError(t, err)
	status, siteID := p.post(t, site, "s3cr3t")
	require.Equal(t, http.StatusAccepted, status)
	for range 3 {
		status, _ = p.post(t, deviceBody, "s3cr3t")
		require.Equal(t, http.StatusAccepted, status)
	}
	data := func() string { return wasmhook(t, "", "queue", "--data-dir", dataDir, "stats").stdout }
	require.Eventually(t, func() bool { return strings.Contains(data(), "dead 1\n") && strings.Contains(data(), "delivered 4\n") },
		10*time.Second, 20*time.Millisecond, p.log())

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1100, 860))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	base := p.url + "/console/"
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644))
	}
	open := func(url string) {
		t.Helper()
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
		require.NoError(t, err, url)
		require.EqualValues(t, http.StatusOK, resp.Status, url)
	}
	title := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Title())
		require.NoError(t, err)
		return s
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	click := func(sel string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		require.EqualValues(t, http.StatusOK, resp.Status, sel)
	}

	// Log in: the console sends the browser to the form, and back.
	open(base + "deliveries")
	assert.Equal(t, "Log in · wasmhook console", title())
	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("token"), token)))
	click(`form.login button[type=submit]`)
	assert.Equal(t, "Deliveries · wasmhook console", title(), "logged in, the page asked for")

	open(base)
	assert.Contains(t, text("main"), "pending deliveries")
	assert.Contains(t, text("main"), "since it started")
	shot("overview")

	// Filter: the dead deliveries, then the event's page.
	open(base + "deliveries")
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name=state]`), "dead")))
	click(`form.filters button[type=submit]`)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Contains(t, loc, "state=dead", "the filter is in the URL, to share")
	rows := text("table.deliveries tbody")
	assert.Contains(t, rows, "crm")
	assert.NotContains(t, rows, "inventory")
	shot("deliveries")
	click(`table.deliveries tbody a[href^="/console/events/"]`)
	assert.Equal(t, "Event "+siteID+" · wasmhook console", title())
	main := text("main")
	for _, want := range []string{"Context, key by key", "30-c", "overrode 20-wat", "the event's own context", "unknown site", "Body as received"} {
		assert.Contains(t, main, want)
	}
	shot("event")
	// The page's top, taller than the window: deliveries, callbacks, keys.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1100, 1250)))
	top, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shots, "event-top.png"), top, 0o644))
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1100, 860)))

	// Replay the dead delivery; crm now takes it.
	crm.mu.Lock()
	crm.accept = true
	crm.mu.Unlock()
	open(base + "dead")
	assert.Contains(t, text("main"), "1 delivery failed for good")
	click(`table.deliveries button[type=submit]`)
	assert.Contains(t, text("p.notice"), "due again")
	require.Eventually(t, func() bool { return crm.received(siteID) == 1 }, 10*time.Second, 20*time.Millisecond, "crm gets the replayed event")
	shot("dead")

	open(base + "modules")
	main = text("main")
	for _, want := range []string{"30-c", "wasmhook_v1.field_read", "peak 128 KiB of 64 MiB per instance", "from $WASMHOOK_ADMIN_TOKEN"} {
		assert.Contains(t, main, want)
	}
	assert.NotContains(t, main, token)
	shot("modules")

	// Try an event: the result shows, nothing is delivered.
	before := inventory.total()
	open(base + "try")
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("event"), string(deviceBody))))
	click(`form.try button[type=submit]`)
	main = text("main")
	assert.Contains(t, main, "dcim.device object_created: would be delivered to inventory")
	assert.Contains(t, main, "site_status")
	shot("try")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, before, inventory.total(), "a trial delivers nothing")

	// On a phone's width the event page fits: its tables scroll in
	// their own boxes, not the page. In a tab of its own.
	phone, cancelPhone := chromedp.NewContext(ctx)
	defer cancelPhone()
	require.NoError(t, chromedp.Do(phone, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"events/"+siteID)))
	wide, err := chromedp.Run(phone, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	require.NoError(t, err)
	assert.LessOrEqual(t, wide, 390, "the page scrolls sideways on a phone")
	png, err := chromedp.Run(phone, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shots, "event-phone.png"), png, 0o644))

	click(`form.logout button`)
	assert.Equal(t, "Log in · wasmhook console", title())
	open(base)
	assert.Equal(t, "Log in · wasmhook console", title(), "logged out")
}
