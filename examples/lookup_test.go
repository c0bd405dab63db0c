package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// tenantCommitted and tenantBuilt are the netbox_tenant examples, as in
// conformance_test.go: committed beside their source, or built by the test.
var (
	tenantCommitted = map[string]string{
		"c":              "c/netbox_tenant.wasm",
		"rust":           "rust/netbox_tenant.wasm",
		"assemblyscript": "assemblyscript/netbox_tenant.wasm",
	}
	tenantBuilt = map[string]string{
		"go": "go/netbox_tenant",
	}
)

// netboxToken is the API token the grant injects; no module may see it.
const netboxToken = "0123456789abcdef0123456789abcdef01234567"

// netbox is a local stand-in for NetBox's REST API: it serves the recorded
// responses of testdata/netbox/api, answers 401 to a request without the
// token, and counts the requests per path.
type netbox struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int
}

var tenantPath = regexp.MustCompile(`^/api/tenancy/tenants/([0-9]+)/$`)

func newNetBox(t *testing.T) *netbox {
	t.Helper()
	nb := &netbox{count: map[string]int{}}
	dir := filepath.Join("..", "testdata", "netbox", "api", "tenancy", "tenants")
	notFound, err := os.ReadFile(filepath.Join(dir, "not-found.json"))
	require.NoError(t, err)
	nb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nb.mu.Lock()
		nb.count[r.URL.Path]++
		nb.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Vary", "Accept, Cookie, Origin")
		if r.Header.Get("Authorization") != "Token "+netboxToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"detail":"Authentication credentials were not provided."}`)
			return
		}
		m := tenantPath.FindStringSubmatch(r.URL.Path)
		if m != nil && m[1] == "5" { // a NetBox that does not answer in time
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		var body []byte
		if m != nil && r.Method == http.MethodGet {
			body, _ = os.ReadFile(filepath.Join(dir, m[1]+".json"))
		}
		if body == nil {
			w.WriteHeader(http.StatusNotFound)
			body = notFound
		}
		w.Write(body)
	}))
	t.Cleanup(nb.Close)
	return nb
}

func (nb *netbox) requests(path string) int {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return nb.count[path]
}

// tenantModules returns every netbox_tenant module's file by language,
// compiled into cache.
func tenantModules(t *testing.T) (files map[string]string, cache string) {
	t.Helper()
	files = map[string]string{}
	for lang, path := range tenantCommitted {
		_, err := os.Stat(path)
		require.NoError(t, err, "%s example: build it with `make wasm`", lang)
		files[lang] = path
	}
	out := t.TempDir()
	for lang, dir := range tenantBuilt {
		files[lang] = filepath.Join(out, lang+".wasm")
		require.NoError(t, testmod.BuildGo(dir, files[lang], true))
	}
	paths := make([]string, 0, len(files))
	for _, f := range files {
		paths = append(paths, f)
	}
	cache = filepath.Join(out, "cache")
	require.NoError(t, testmod.Precompile(cache, nil, paths...))
	return files, cache
}

// tenantEnricher loads one netbox_tenant module as "10-tenant" with the
// settings file the operator would write (http is its http: block, or
// nothing).
func tenantEnricher(t *testing.T, file, cache, netboxURL, http string) *wasmhook.Enricher {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "10-tenant.wasm"), b, 0o644))
	settings := fmt.Sprintf("modules:\n  10-tenant:\n    config: {netbox_url: %q}\n%s", netboxURL, http)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir:                 dir,
		CompilationCacheDir: cache,
		Logger:              testmod.Logger(os.Stderr),
		// Not a test of time limits: a loaded machine must not fail it.
		Limits: wasmhook.Limits{Timeout: 10 * time.Second},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(ctx)) })
	return e
}

// grant is the http: block of the settings file for a NetBox at base.
func grant(base, headers string) string {
	return fmt.Sprintf(`    http:
      grants:
        - prefix: %s/api/
          headers: %s
          networks: [127.0.0.1/32]
          cache_ttl: 1m
      timeout: 300ms
`, base, headers)
}

func tenantEvent(t *testing.T, name string) *wasmhook.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "netbox_tenant", name))
	require.NoError(t, err)
	var ev wasmhook.Event
	require.NoError(t, json.Unmarshal(raw, &ev), name)
	return &ev
}

// tenantInfo returns the payload's context member "tenant_info", bytes
// as in the payload ("" when there is none), and fails the test unless the
// webhook would go out with the event's data.
func tenantInfo(t *testing.T, res *wasmhook.Result, ev *wasmhook.Event) string {
	t.Helper()
	var p struct {
		Data    json.RawMessage
		Context map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(res.Payload, &p))
	assert.JSONEq(t, string(ev.Data), string(p.Data))
	return string(p.Context["tenant_info"])
}

// TestNetBoxTenant runs every language's netbox_tenant on the events of
// testdata/netbox_tenant against a local NetBox serving recorded API
// responses, with the grant of examples/README.md, and requires the
// outputs README.md gives, the same bytes from every language.
func TestNetBoxTenant(t *testing.T) {
	t.Setenv("NETBOX_TOKEN", netboxToken)
	files, cache := tenantModules(t)
	langs := make([]string, 0, len(files))
	for lang := range files {
		langs = append(langs, lang)
	}
	sort.Strings(langs)

	acme := `{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}`
	cases := []struct {
		event, want     string
		requests, cache int // the call's lookups (Report.Requests, CacheHits)
	}{
		{"site-tenant-acme.json", acme, 1, 0},
		{"site-tenant-acme.json", acme, 0, 1}, // the grant's cache_ttl: no second request
		{"site-tenant-ewz.json", `{"id":12,"name":"Stadtwerke Zürich \"EWZ\"","slug":"ewz","group":null}`, 1, 0},
		{"site-tenant-gone.json", `{"id":99,"error":"http_404"}`, 1, 0},
		{"site-no-tenant.json", `null`, 0, 0},
		{"site-odd-tenant-id.json", `null`, 0, 0},
		{"job-completed.json", ``, 0, 0},
	}
	nb := newNetBox(t)
	outputs := map[string][]string{}
	for _, lang := range langs {
		// A trailing slash on the base URL is dropped.
		e := tenantEnricher(t, files[lang], cache, nb.URL+"/", grant(nb.URL, `{Authorization: "Token ${NETBOX_TOKEN}"}`))
		for _, c := range cases {
			ev := tenantEvent(t, c.event)
			res, err := e.Enrich(context.Background(), ev)
			require.NoError(t, err, lang)
			require.Empty(t, res.Failed(), lang)
			got := tenantInfo(t, res, ev)
			outputs[lang] = append(outputs[lang], got)
			assert.Equal(t, c.want, got, "%s on %s", lang, c.event)
			assert.NotContains(t, string(res.Payload), netboxToken, "%s on %s", lang, c.event)
			rep := res.Reports[0]
			assert.Equal(t, c.requests, rep.Requests, "%s on %s: requests", lang, c.event)
			assert.Equal(t, c.cache, rep.CacheHits, "%s on %s: cache hits", lang, c.event)
		}
	}
	for _, lang := range langs {
		assert.Equal(t, outputs[langs[0]], outputs[lang], "%s and %s", langs[0], lang)
	}
	// One request per module for tenant 7: the second event was the cache's.
	assert.Equal(t, len(langs), nb.requests("/api/tenancy/tenants/7/"))
}

// TestNetBoxTenantFailures: each lookup failure takes the module's status
// path, it attaches the error marker README.md gives, and the webhook
// still goes out with the event.
func TestNetBoxTenantFailures(t *testing.T) {
	t.Setenv("NETBOX_TOKEN", netboxToken)
	files, cache := tenantModules(t)
	nb := newNetBox(t)
	acme := tenantEvent(t, "site-tenant-acme.json")
	slow := &wasmhook.Event{ObjectType: "dcim.site", EventType: "object_updated",
		Data: json.RawMessage(`{"id": 3, "name": "Slow", "tenant": {"id": 5}}`)}
	cases := []struct {
		name, http string
		ev         *wasmhook.Event
		want       string
	}{
		{"no grant", "", acme, `{"id":7,"error":"not_allowed"}`},
		{"another prefix", grant(nb.URL+"/api/dcim", `{Authorization: "Token ${NETBOX_TOKEN}"}`), acme,
			`{"id":7,"error":"not_allowed"}`},
		{"no token", grant(nb.URL, `{}`), acme, `{"id":7,"error":"http_401"}`},
		{"timeout", grant(nb.URL, `{Authorization: "Token ${NETBOX_TOKEN}"}`), slow, `{"id":5,"error":"timeout"}`},
	}
	for _, c := range cases {
		for lang, file := range files {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				e := tenantEnricher(t, file, cache, nb.URL, c.http)
				start := time.Now()
				res, err := e.Enrich(context.Background(), c.ev)
				require.NoError(t, err)
				require.Empty(t, res.Failed())
				assert.Equal(t, c.want, tenantInfo(t, res, c.ev))
				assert.False(t, bytes.Contains(res.Payload, []byte(netboxToken)))
				// The grant's 300 ms, not the slow upstream's 5 s.
				assert.Less(t, time.Since(start), 3*time.Second)
			})
		}
	}
}

// TestNetBoxTenantNeedsItsURL: a configuration without netbox_url fails
// the call, naming the key; the webhook goes out without the module's
// context.
func TestNetBoxTenantNeedsItsURL(t *testing.T) {
	files, cache := tenantModules(t)
	for lang, file := range files {
		dir := t.TempDir()
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "10-tenant.wasm"), b, 0o644))
		e, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir, CompilationCacheDir: cache,
			Logger: testmod.Logger(os.Stderr), Limits: wasmhook.Limits{Timeout: 10 * time.Second}})
		require.NoError(t, err)
		ev := tenantEvent(t, "site-tenant-acme.json")
		res, err := e.Enrich(context.Background(), ev)
		require.NoError(t, err, lang)
		require.Len(t, res.Failed(), 1, lang)
		assert.ErrorContains(t, res.Failed()[0].Err, "netbox_tenant: the configuration has no netbox_url string", lang)
		assert.Equal(t, "", tenantInfo(t, res, ev))
		require.NoError(t, e.Close(context.Background()))
	}
}
