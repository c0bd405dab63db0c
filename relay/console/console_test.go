package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/console"
	"github.com/wasmhook/wasmhook/relay/queue"
)

const token = "console-token-0123456789"

// env is a relay with its console over real HTTP on 127.0.0.1, on a
// real queue and real modules, delivering until the test ends.
type env struct {
	url    string
	relay  *relay.Relay
	queue  queue.Queue
	cookie string // the session cookie, once logged in
}

// receiver is a real HTTP server that answers each request with the
// next status of a script (200 once it is used up) and a body.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    int
	script []int
	body   string
}

func newReceiver(t *testing.T, body string, script ...int) *receiver {
	rc := &receiver{script: script, body: body}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		rc.mu.Lock()
		rc.got++
		status := http.StatusOK
		if len(rc.script) > 0 {
			status, rc.script = rc.script[0], rc.script[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, rc.body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.got
}

// start runs a relay and its console. config's DATA is the data
// directory; mods are test modules (see testmod.Dir) and settings the
// modules directory's wasmhook.yaml.
func start(t *testing.T, config string, mods map[string]string, settings string) *env {
	t.Helper()
	return startQueue(t, queue.Options{}, config, mods, settings)
}

// startQueue is start with the queue opened with opts.
func startQueue(t *testing.T, opts queue.Options, config string, mods map[string]string, settings string) *env {
	t.Helper()
	dir := t.TempDir()
	modDir := testmod.Dir(t, mods)
	if settings != "" {
		require.NoError(t, os.WriteFile(filepath.Join(modDir, "wasmhook.yaml"), []byte(settings), 0o644))
	}
	config = strings.ReplaceAll(config, "DATA", dir) + "modules: " + modDir + "\n"
	cfg, err := relay.ParseConfig("serve.yaml", []byte(config))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: modDir, Logger: testmod.Logger(io.Discard), ReportKeys: true})
	require.NoError(t, err)
	q, err := queue.Open(cfg.DataDir, opts)
	require.NoError(t, err)
	r, err := relay.New(cfg, e, q, testmod.Logger(io.Discard))
	require.NoError(t, err)
	tok, err := cfg.Console.Token.Resolve()
	require.NoError(t, err)
	c, err := console.New(r, console.Options{Token: tok, Logger: testmod.Logger(io.Discard)})
	require.NoError(t, err)
	r.Mount(console.Prefix, c)
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
	return &env{url: srv.URL, relay: r, queue: q}
}

// client follows no redirect: the tests look at them.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(t *testing.T, method, path string, body io.Reader, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if e.cookie != "" && req.Header.Get("Authorization") == "" {
		req.AddCookie(&http.Cookie{Name: "wasmhook_console", Value: e.cookie})
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func (e *env) get(t *testing.T, path string) page {
	t.Helper()
	return e.do(t, http.MethodGet, path, nil, nil)
}

// post posts a form, with the session's CSRF token unless the form has
// one.
func (e *env) post(t *testing.T, path string, form url.Values) page {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && e.cookie != "" {
		form.Set("csrf", e.csrf(t))
	}
	return e.do(t, http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the session's forms carry.
func (e *env) csrf(t *testing.T) string {
	t.Helper()
	p := e.get(t, "/console/try")
	m := csrfRE.FindStringSubmatch(p.body)
	require.NotNil(t, m, "no CSRF token in the try form")
	return m[1]
}

// login logs in through the form and keeps the session cookie.
func (e *env) login(t *testing.T) *http.Cookie {
	t.Helper()
	p := e.do(t, http.MethodPost, "/console/login", strings.NewReader(url.Values{"token": {token}, "next": {"/console/dead"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	assert.Equal(t, "/console/dead", p.header.Get("Location"))
	resp := http.Response{Header: p.header}
	for _, c := range resp.Cookies() {
		if c.Name == "wasmhook_console" {
			e.cookie = c.Value
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// send posts an event body to a source and returns its id.
func (e *env) send(t *testing.T, source string, body []byte) string {
	t.Helper()
	resp, err := http.Post(e.url+"/hooks/"+source, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusAccepted, resp.StatusCode, out)
	return out["id"]
}

func (e *env) waitStats(t *testing.T, ok func(queue.Stats) bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := e.queue.Stats(context.Background())
		return err == nil && ok(st)
	}, 10*time.Second, 5*time.Millisecond)
}

func netboxBody(t *testing.T) []byte {
	raw, err := os.ReadFile(filepath.Join(testmod.Root, "testdata/netbox/signature-vector.txt"))
	require.NoError(t, err)
	return []byte(strings.SplitN(string(raw), "\n", 2)[0])
}

const basic = `
data_dir: DATA
sources: {netbox: {unsigned: true}}
console: {token: {value: ` + token + `}}
`

// TestLoginAndSessions: without the token every page sends the browser
// to the login form (and a script gets 401); the form sets a Secure,
// HttpOnly, SameSite=Strict cookie for /console/ only; a bearer token
// works without it; a wrong token does not; the form never sends the
// browser away from the console; logging out ends the session.
func TestLoginAndSessions(t *testing.T) {
	rc := newReceiver(t, "ok")
	e := start(t, basic+"destinations: {d: {url: "+rc.URL+"}}\n", map[string]string{"10-fixed": "fixed"}, "")

	p := e.get(t, "/console/deliveries?state=dead")
	assert.Equal(t, http.StatusSeeOther, p.status)
	assert.Equal(t, "/console/login?next=%2Fconsole%2Fdeliveries%3Fstate%3Ddead", p.header.Get("Location"))
	login := e.get(t, "/console/login?next=/console/deliveries")
	assert.Equal(t, http.StatusOK, login.status)
	assert.Contains(t, login.body, `name="next" value="/console/deliveries"`)
	assert.Contains(t, e.get(t, "/console/login?next=//evil.example/").body, `name="next" value="/console/"`, "no redirect off the console")
	assert.Equal(t, http.StatusUnauthorized, e.post(t, "/console/dead/replay", nil).status)
	css := e.get(t, "/console/static/style.css")
	assert.Equal(t, http.StatusOK, css.status, "the stylesheet needs no login")
	assert.Contains(t, css.header.Get("Content-Type"), "text/css")

	bad := e.do(t, http.MethodPost, "/console/login", strings.NewReader("token=wrong-token-0123456789"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	assert.Equal(t, http.StatusUnauthorized, bad.status)
	assert.Empty(t, bad.header.Values("Set-Cookie"))
	assert.Contains(t, bad.body, "not the admin token")

	for _, auth := range []string{"Bearer wrong", "Basic " + token, "Bearer " + token + "x"} {
		p := e.do(t, http.MethodGet, "/console/", nil, http.Header{"Authorization": {auth}})
		assert.Equal(t, http.StatusUnauthorized, p.status, auth)
	}
	p = e.do(t, http.MethodGet, "/console/", nil, http.Header{"Authorization": {"Bearer " + token}})
	assert.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.body, "The queue now")
	assert.NotContains(t, p.body, "Log out", "a script has no session to end")

	ck := e.login(t)
	assert.True(t, ck.Secure)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	assert.Equal(t, "/console/", ck.Path)
	assert.WithinDuration(t, time.Now().Add(12*time.Hour), ck.Expires, time.Minute)
	p = e.get(t, "/console/")
	assert.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.body, "Log out")

	forged := e.cookie[:len(e.cookie)-2] + "xx"
	saved := e.cookie
	e.cookie = forged
	assert.Equal(t, http.StatusSeeOther, e.get(t, "/console/").status, "a forged session")
	exp, _, _ := strings.Cut(saved, ".")
	e.cookie = "9" + exp + saved[len(exp):]
	assert.Equal(t, http.StatusSeeOther, e.get(t, "/console/").status, "a session whose expiry was pushed back")
	e.cookie = saved

	p = e.post(t, "/console/logout", nil)
	assert.Equal(t, http.StatusSeeOther, p.status)
	assert.Contains(t, strings.Join(p.header.Values("Set-Cookie"), " "), "Max-Age=0")
}

// TestCSRF: an action made with the session cookie needs the session's
// form token, and is refused when the browser says the form came from
// another site; a bearer token needs neither.
func TestCSRF(t *testing.T) {
	rc := newReceiver(t, "no", http.StatusBadRequest)
	e := start(t, basic+"destinations: {d: {url: "+rc.URL+"}}\n", map[string]string{"10-fixed": "fixed"}, "")
	e.send(t, "netbox", netboxBody(t))
	e.waitStats(t, func(st queue.Stats) bool { return st.Dead == 1 })
	e.login(t)
	for name, form := range map[string]url.Values{
		"no token":      {"csrf": {""}},
		"another token": {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		p := e.post(t, "/console/dead/replay", form)
		assert.Equal(t, http.StatusForbidden, p.status, name)
	}
	good := url.Values{"csrf": {e.csrf(t)}}
	p := e.do(t, http.MethodPost, "/console/dead/replay", strings.NewReader(good.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}})
	assert.Equal(t, http.StatusForbidden, p.status, "a form posted from another site")
	st, err := e.queue.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Dead, "nothing replayed yet")

	p = e.post(t, "/console/dead/replay", good)
	assert.Equal(t, http.StatusSeeOther, p.status)
	assert.Equal(t, "/console/dead?replayed=1", p.header.Get("Location"))
	e.waitStats(t, func(st queue.Stats) bool { return st.Delivered == 1 })

	e.send(t, "netbox", netboxBody(t))
	rc.mu.Lock()
	rc.script = []int{http.StatusBadRequest}
	rc.mu.Unlock()
	e.cookie = ""
	p = e.do(t, http.MethodPost, "/console/dead/purge", strings.NewReader("confirm=yes"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Bearer " + token}})
	assert.Equal(t, http.StatusSeeOther, p.status, "a script's POST: no cookie, no CSRF token needed")
}

// TestPagesHeaders: every page forbids inline scripts, framing and
// sniffing, is not cached, and holds no script, no inline style and no
// event handler attribute: the Content-Security-Policy holds with
// nothing to relax.
func TestPagesHeaders(t *testing.T) {
	rc := newReceiver(t, "ok")
	e := start(t, basic+"destinations: {d: {url: "+rc.URL+"}}\n", map[string]string{"10-fixed": "fixed"}, "")
	id := e.send(t, "netbox", netboxBody(t))
	e.login(t)
	for _, path := range allPages(id) {
		p := e.get(t, path)
		require.Equal(t, http.StatusOK, p.status, path)
		csp := p.header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.Contains(t, csp, "frame-ancestors 'none'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-store", p.header.Get("Cache-Control"), path)
		assert.NotContains(t, p.body, "<script", path)
		assert.NotRegexp(t, `(?i)\sstyle=|\son[a-z]+=`, p.body, path)
		assert.Contains(t, p.body, `<meta name="viewport" content="width=device-width, initial-scale=1">`, path)
	}
}

// allPages are the console's pages, for the event id.
func allPages(id string) []string {
	return []string{"/console/", "/console/deliveries", "/console/deliveries?state=delivered&destination=d&object_type=dcim.site&event=object_updated",
		"/console/deliveries?q=" + id, "/console/events/" + id, "/console/events/" + id + "?raw=1", "/console/dead", "/console/modules", "/console/try"}
}

// TestNoSecretInAnyPage: with a secret in every place the configuration
// takes one (source, signing by value, file and environment, the
// token, a destination URL's password, path and query, a header), and
// deliveries that failed on that URL, no page, redirect or header of the
// console shows any of them.
func TestNoSecretInAnyPage(t *testing.T) {
	dir := t.TempDir()
	whsecFile := filepath.Join(dir, "whsec")
	require.NoError(t, os.WriteFile(whsecFile, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"), 0o600))
	t.Setenv("TEST_CONSOLE_NETBOX_OUT", "env-secret-value")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := ln.Addr().String()
	ln.Close()
	rc := newReceiver(t, "ok")
	u, _ := url.Parse(rc.URL)
	e := start(t, `
data_dir: DATA
sources: {netbox: {secret: {value: source-secret-value}}, open: {unsigned: true}}
destinations:
  good:
    url: http://user:url-password@`+u.Host+`/in/path-secret-value?token=query-secret-value
    headers: {Authorization: Bearer header-secret-value}
    sign: {netbox: {env: TEST_CONSOLE_NETBOX_OUT}, standard: {file: `+whsecFile+`}}
  gone:
    url: http://`+refused+`/in/path-secret-value?token=query-secret-value
    retry: []
console: {token: {value: `+token+`}}
`, map[string]string{"10-fixed": "fixed"}, "")
	id := e.send(t, "open", netboxBody(t))
	e.waitStats(t, func(st queue.Stats) bool { return st.Dead == 1 && st.Delivered == 1 })
	secrets := []string{"source-secret-value", "env-secret-value", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", token,
		"url-password", "path-secret-value", "query-secret-value", "header-secret-value"}
	check := func(what string, p page) {
		t.Helper()
		text := p.body
		for k, v := range p.header {
			text += "\n" + k + ": " + strings.Join(v, " ")
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %q", what, s)
			}
		}
	}
	check("the login form", e.get(t, "/console/login"))
	check("a failed login", e.post(t, "/console/login", url.Values{"token": {"wrong-token-0123456789"}}))
	check("a bearer refusal", e.do(t, http.MethodGet, "/console/", nil, http.Header{"Authorization": {"Bearer wrong"}}))
	e.login(t)
	for _, path := range append(allPages(id), "/console/events/nope", "/console/nope", "/console/deliveries?after=zzz") {
		p := e.get(t, path)
		check(path, p)
	}
	modules := e.get(t, "/console/modules")
	assert.Contains(t, modules.body, "<code>$TEST_CONSOLE_NETBOX_OUT</code>", "where a secret comes from is named")
	assert.Contains(t, modules.body, "from file <code>"+whsecFile+"</code>")
	assert.Contains(t, modules.body, "http://"+u.Host+"/…")
	event := e.get(t, "/console/events/"+id)
	assert.Contains(t, event.body, "connection refused", "the failed attempt is shown, without its URL's secrets")
	check("a trial", e.post(t, "/console/try", url.Values{"event": {string(netboxBody(t))}}))
	check("a replay", e.post(t, "/console/dead/replay", nil))
}

// hostile is text that is markup in HTML, in an attribute and in SVG.
const hostile = `<script>alert(1)</script>"'><img src=x onerror=alert(2)><svg onload=alert(3)>`

// TestEventFieldsShowAsText: an event whose fields, context keys,
// callback outputs and receiver's answer carry HTML and script is shown
// as text on every page: nothing of it is markup.
func TestEventFieldsShowAsText(t *testing.T) {
	rc := newReceiver(t, hostile, http.StatusBadRequest)
	e := start(t, basic+"destinations: {d: {url: "+rc.URL+"}}\n",
		map[string]string{"10-echo": "echo_input", "20-config": "echo_config"},
		"modules:\n  20-config:\n    config: {\"<b>key</b>\": "+jsonString(hostile)+"}\n")
	body, err := json.Marshal(map[string]any{
		"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site" + hostile,
		"username": hostile, "request_id": "4e4ae1b9-53a5-4a2a-a0f6-5a2ba7c55b1b",
		"data":    map[string]any{"name": hostile, hostile: 1},
		"context": map[string]any{hostile: hostile},
	})
	require.NoError(t, err)
	id := e.send(t, "netbox", body)
	e.waitStats(t, func(st queue.Stats) bool { return st.Dead == 1 })
	e.login(t)
	pages := append(allPages(id), "/console/deliveries?object_type="+url.QueryEscape("dcim.site"+hostile))
	for _, path := range pages {
		p := e.get(t, path)
		require.Equal(t, http.StatusOK, p.status, path)
		for _, markup := range []string{"<script>", "<img", "<svg onload", "<b>key"} {
			assert.NotContains(t, p.body, markup, path)
		}
	}
	ev := e.get(t, "/console/events/"+id).body
	assert.Contains(t, ev, "&lt;script&gt;alert(1)&lt;/script&gt;", "shown, as text")
	assert.Contains(t, ev, "<code>&lt;b&gt;key&lt;/b&gt;</code>", "a context key, as text")
	trial := e.post(t, "/console/try", url.Values{"event": {string(body)}})
	assert.Equal(t, http.StatusOK, trial.status)
	assert.NotContains(t, trial.body, "<script>")
	assert.Contains(t, trial.body, "&lt;img src=x onerror=alert(2)&gt;")
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPages: what each page says about a small queue. The overview's
// figures; the deliveries list filtered by state, destination, object
// type and event, searched by event id and by request id, and paged;
// an event's attribution of its context keys, callback reports and
// attempts; replay from the event page; modules; a trial, pasted and
// uploaded, delivering nothing.
func TestPages(t *testing.T) {
	inventory := newReceiver(t, `{"ok": true}`)
	crm := newReceiver(t, "busy", http.StatusServiceUnavailable, http.StatusBadRequest)
	e := start(t, basic+`
destinations:
  inventory: {url: `+inventory.URL+`}
  crm: {url: `+crm.URL+`, retry: [10ms], filter: {object_types: [dcim.site]}}
`, map[string]string{"10-fixed": "fixed", "20-branch": "active_branch", "30-error": "guest_error"}, "")
	site := netboxBody(t) // dcim.site, updated, with NetBox's own context {"active_branch": null}
	var in map[string]any
	require.NoError(t, json.Unmarshal(site, &in))
	requestID := in["request_id"].(string)
	in["object_type"] = "dcim.device"
	delete(in, "request_id")
	delete(in, "request")
	device, err := json.Marshal(in)
	require.NoError(t, err)
	siteID := e.send(t, "netbox", site)
	deviceIDs := []string{}
	for range 52 {
		deviceIDs = append(deviceIDs, e.send(t, "netbox", device))
	}
	// 53 to inventory, delivered; the site's one to crm fails twice,
	// then is dead.
	e.waitStats(t, func(st queue.Stats) bool { return st.Delivered == 53 && st.Dead == 1 })
	e.login(t)

	ov := e.get(t, "/console/").body
	assert.Contains(t, ov, "<dt>dead deliveries</dt><dd><a href=\"/console/dead\">1</a></dd>")
	assert.Regexp(t, `<tr><th>last hour</th><td class="num">53</td><td class="num">53</td><td class="num">1</td><td class="num">1</td></tr>`, ov)
	assert.Regexp(t, `<td>crm</td>\s*<td class="num">0 \+ 1 \+ 1</td>\s*<td class="num">0.0%</td>`, ov)
	assert.Regexp(t, `<td>30-error</td>\s*<td class="num">53</td><td class="num bad">53</td>`, ov)
	assert.Contains(t, ov, `<svg viewBox="0 0 600 110"`)
	assert.Contains(t, ov, "since it started")

	rows := func(p string) int { return strings.Count(e.get(t, p).body, `<a href="/console/events/`) }
	assert.Equal(t, 50, rows("/console/deliveries"), "a page")
	assert.Equal(t, 1, rows("/console/deliveries?state=dead"))
	assert.Equal(t, 1, rows("/console/deliveries?destination=crm"))
	assert.Equal(t, 2, rows("/console/deliveries?object_type=dcim.site"))
	assert.Equal(t, 0, rows("/console/deliveries?event=object_created"))
	assert.Equal(t, 2, rows("/console/deliveries?q="+siteID), "an event id: its deliveries")
	assert.Equal(t, 2, rows("/console/deliveries?q="+requestID), "a request id: its events' deliveries")
	list := e.get(t, "/console/deliveries?object_type=dcim.device").body
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(list)
	require.NotNil(t, next, "a next page")
	nextURL := strings.ReplaceAll(next[1], "&amp;", "&")
	assert.Contains(t, nextURL, "object_type=dcim.device", "the next page keeps the filters")
	assert.Equal(t, 2, rows(nextURL), "52 devices: 50, then 2")
	assert.Contains(t, list, `<a href="/console/events/`+deviceIDs[51]+`">`, "newest first")

	ev := e.get(t, "/console/events/"+siteID).body
	assert.Regexp(t, `<code>active_branch</code></td>\s*<td><strong>20-branch</strong>\s*<br><span class="overrode">overrode the event's own context</span>`, ev)
	assert.Regexp(t, `<code>foo</code></td>\s*<td><strong>10-fixed</strong>`, ev)
	assert.Regexp(t, `<td>30-error</td>\s*<td>reactor</td>(?s:.*)<span class="error-class">guest</span> <span class="message">[^<]*boom: bad data`, ev)
	assert.Regexp(t, `crm <span class="state state-dead">dead</span>`, ev)
	assert.Regexp(t, `<span class="status status-5xx">503</span>(?s:.*)<pre class="response">busy</pre>`, ev)
	assert.Contains(t, ev, `<pre class="response">{&#34;ok&#34;: true}</pre>`)
	assert.Contains(t, ev, `<a href="/console/deliveries?q=`+requestID+`">`)

	dead := e.get(t, "/console/dead").body
	m := regexp.MustCompile(`action="/console/deliveries/(\d+)/replay"`).FindStringSubmatch(dead)
	require.NotNil(t, m)
	p := e.post(t, "/console/deliveries/"+m[1]+"/replay", url.Values{"back": {"/console/events/" + siteID}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	assert.Equal(t, "/console/events/"+siteID+"?replayed="+m[1], p.header.Get("Location"))
	require.Eventually(t, func() bool { return crm.count() == 3 }, 10*time.Second, 5*time.Millisecond, "the replayed delivery reaches crm")
	e.waitStats(t, func(st queue.Stats) bool { return st.Delivered == 54 })
	assert.Equal(t, http.StatusConflict, e.post(t, "/console/deliveries/"+m[1]+"/replay", nil).status, "delivered: not dead")
	assert.Equal(t, http.StatusNotFound, e.get(t, "/console/events/no-such-event").status)

	mods := e.get(t, "/console/modules").body
	assert.Regexp(t, `<h3>20-branch <span class="muted">reactor</span></h3>`, mods)
	assert.Contains(t, mods, "host functions <code>wasmhook_v1.output_set</code>")
	assert.Contains(t, mods, "host functions <code>wasmhook_v1.error_set</code>")
	assert.Contains(t, mods, "no WASI")
	assert.Contains(t, mods, "no reload since")

	before := inventory.count()
	trial := e.post(t, "/console/try", url.Values{"event": {string(site)}})
	assert.Contains(t, trial.body, "would be delivered to crm, inventory")
	assert.Contains(t, trial.body, "&#34;foo&#34;: 123")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", e.csrf(t))
	fw, err := mw.CreateFormFile("file", "device.json")
	require.NoError(t, err)
	fw.Write(device)
	mw.Close()
	up := e.do(t, http.MethodPost, "/console/try", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
	assert.Equal(t, http.StatusOK, up.status)
	assert.Contains(t, up.body, "dcim.device object_updated: would be delivered to inventory")
	bad := e.post(t, "/console/try", url.Values{"event": {`{"event": "created"}`}})
	assert.Contains(t, bad.body, `class="alert"`)
	st, err := e.queue.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(53), st.Events, "trials store nothing")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, before, inventory.count(), "and deliver nothing")
}

// TestDeliveriesPartialPage: a list whose filters each match many
// deliveries and together few shows what the page found among the
// deliveries it looked at, says where it stopped, and goes on from
// there; the last page says nothing of the kind.
func TestDeliveriesPartialPage(t *testing.T) {
	rc := newReceiver(t, "ok")
	// Pages look at 4 deliveries at most.
	e := startQueue(t, queue.Options{ListLook: 4}, basic+"destinations: {d: {url: "+rc.URL+"}}\n", map[string]string{"10-fixed": "fixed"}, "")
	e.login(t)
	ctx := context.Background()
	var want []string
	for i := range 60 {
		ev := &queue.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Source: "netbox", Received: time.Now(),
			ObjectType: "dcim.site", EventType: "object_updated", Body: []byte(`{}`), Payload: []byte(`{}`)}
		if i%10 == 3 {
			ev.ObjectType = "dcim.device"
		}
		if i%10 == 7 || i%20 == 3 {
			ev.EventType = "object_deleted"
		}
		require.NoError(t, e.queue.Enqueue(ctx, ev, []string{"d"}))
		if ev.ObjectType == "dcim.device" && ev.EventType == "object_deleted" {
			want = append([]string{ev.ID}, want...) // 43, 23 and 3, newest first
		}
	}
	events := regexp.MustCompile(`<td><a href="/console/events/([^"]+)">`)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">([^<]+)</a>`)
	path := "/console/deliveries?object_type=dcim.device&event=object_deleted"
	var got []string
	var stops int
	for range 10 {
		p := e.get(t, path)
		require.Equal(t, http.StatusOK, p.status)
		for _, m := range events.FindAllStringSubmatch(p.body, -1) {
			got = append(got, m[1])
		}
		n := next.FindStringSubmatch(p.body)
		if strings.Contains(p.body, "This page stopped looking at delivery") {
			stops++
			require.NotNil(t, n, "a partial page goes on")
			assert.Equal(t, "look further →", n[2])
		}
		if n == nil {
			break
		}
		path = strings.ReplaceAll(n[1], "&amp;", "&")
		assert.Contains(t, path, "event=object_deleted&object_type=dcim.device", "the filters stay")
	}
	assert.Equal(t, want, got)
	assert.NotZero(t, stops, "a page stopped before it was full")
}
