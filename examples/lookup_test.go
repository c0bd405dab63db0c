package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
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
		if m != nil && m[1] == stallingTenant {
			<-r.Context().Done() // never answers: the grant's timeout ends it
			return
		}
		if m != nil && m[1] == garbledTenant {
			// 200 and not JSON: a tenant, then what a broken proxy
			// appended. A reader that stops after the object would take it.
			fmt.Fprint(w, `{"id": 6, "name": "Acme", "slug": "acme", "group": null}<!-- cached by proxy -->`)
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

// stallingTenant is the tenant id the NetBox stand-in never answers for,
// garbledTenant the one it answers 200 with a body that is not JSON.
const (
	stallingTenant = "5"
	garbledTenant  = "6"
)

func (nb *netbox) requests(path string) int {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return nb.count[path]
}

var tenant struct {
	once  sync.Once
	files map[string]string // by language
	cache string
	dir   string
	err   error
}

// tenantModules returns every netbox_tenant module's file by language,
// compiled into cache, once per test binary.
func tenantModules(t *testing.T) (files map[string]string, cache string) {
	t.Helper()
	tenant.once.Do(func() {
		tenant.files = map[string]string{}
		for lang, path := range tenantCommitted {
			if _, err := os.Stat(path); err != nil {
				tenant.err = fmt.Errorf("%s example: build it with `make wasm`: %w", lang, err)
				return
			}
			tenant.files[lang] = path
		}
		if tenant.dir, tenant.err = os.MkdirTemp("", "netbox_tenant"); tenant.err != nil {
			return
		}
		for lang, dir := range tenantBuilt {
			tenant.files[lang] = filepath.Join(tenant.dir, lang+".wasm")
			if tenant.err = testmod.BuildGo(dir, tenant.files[lang], true); tenant.err != nil {
				return
			}
		}
		paths := make([]string, 0, len(tenant.files))
		for _, f := range tenant.files {
			paths = append(paths, f)
		}
		tenant.cache = filepath.Join(tenant.dir, "cache")
		tenant.err = testmod.Precompile(tenant.cache, nil, paths...)
	})
	require.NoError(t, tenant.err)
	return tenant.files, tenant.cache
}

// TestMain removes what tenantModules built.
func TestMain(m *testing.M) {
	code := m.Run()
	if tenant.dir != "" {
		os.RemoveAll(tenant.dir)
	}
	os.Exit(code)
}

// tenantEnricher loads every language's netbox_tenant, each module named
// after its language and nested under its name, with the settings file an
// operator would write (http is each module's http: block, or nothing).
func tenantEnricher(t *testing.T, netboxURL, http string) (*wasmhook.Enricher, []string) {
	t.Helper()
	files, cache := tenantModules(t)
	langs := make([]string, 0, len(files))
	for lang := range files {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	dir := t.TempDir()
	settings := "modules:\n"
	for _, lang := range langs {
		b, err := os.ReadFile(files[lang])
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, lang+".wasm"), b, 0o644))
		settings += fmt.Sprintf("  %s:\n    config: {netbox_url: %q}\n    nest: true\n%s", lang, netboxURL, http)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir:                 dir,
		CompilationCacheDir: cache,
		Logger:              testmod.Logger(io.Discard),
		// Not a test of time limits: a loaded machine must not fail it.
		Limits: wasmhook.Limits{Timeout: 10 * time.Second},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(ctx)) })
	return e, langs
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

// tenantInfos returns, by module, the member "tenant_info" of the
// module's context, bytes as in the payload ("" when there is none), and
// fails the test unless the webhook would go out with the event's data.
func tenantInfos(t *testing.T, res *wasmhook.Result, ev *wasmhook.Event) map[string]string {
	t.Helper()
	var p struct {
		Data    json.RawMessage
		Context map[string]map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(res.Payload, &p))
	assert.JSONEq(t, string(ev.Data), string(p.Data))
	out := map[string]string{}
	for _, rep := range res.Reports {
		out[rep.Callback] = string(p.Context[rep.Callback]["tenant_info"])
	}
	return out
}

// TestNetBoxTenant runs every language's netbox_tenant on the events of
// testdata/netbox_tenant against a local NetBox serving recorded API
// responses, with the grant of examples/README.md, and requires the
// outputs README.md gives, the same bytes from every language.
func TestNetBoxTenant(t *testing.T) {
	t.Setenv("NETBOX_TOKEN", netboxToken)
	acme := `{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}`
	cases := []struct {
		event, want     string
		requests, cache int // each call's lookups (Report.Requests, CacheHits)
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
	// A trailing slash on the base URL is dropped.
	e, langs := tenantEnricher(t, nb.URL+"/", grant(nb.URL, `{Authorization: "Token ${NETBOX_TOKEN}"}`))
	require.Len(t, langs, len(tenantCommitted)+len(tenantBuilt))
	for _, c := range cases {
		ev := tenantEvent(t, c.event)
		res, err := e.Enrich(context.Background(), ev)
		require.NoError(t, err, c.event)
		require.Empty(t, res.Failed(), c.event)
		assert.NotContains(t, string(res.Payload), netboxToken, c.event)
		got := tenantInfos(t, res, ev)
		for _, rep := range res.Reports {
			lang := rep.Callback
			assert.Equal(t, c.want, got[lang], "%s on %s", lang, c.event)
			assert.Equal(t, c.requests, rep.Requests, "%s on %s: requests", lang, c.event)
			assert.Equal(t, c.cache, rep.CacheHits, "%s on %s: cache hits", lang, c.event)
		}
		for _, lang := range langs {
			assert.Equal(t, got[langs[0]], got[lang], "%s and %s on %s", langs[0], lang, c.event)
		}
	}
	// One request per module for tenant 7: the second event was the cache's.
	assert.Equal(t, len(langs), nb.requests("/api/tenancy/tenants/7/"))
}

// TestNetBoxTenantFailures: each lookup failure takes the module's status
// path, it attaches the error marker README.md gives, and the webhook
// still goes out with the event. (A timeout is a status like these; the
// SDKs' own tests map it, and internal/egress's tests make it happen.)
func TestNetBoxTenantFailures(t *testing.T) {
	t.Setenv("NETBOX_TOKEN", netboxToken)
	nb := newNetBox(t)
	acme := tenantEvent(t, "site-tenant-acme.json")
	stalls := tenantEvent(t, "site-tenant-acme.json")
	stalls.Data = json.RawMessage(strings.Replace(string(stalls.Data), `"tenant": {"id": 7,`, `"tenant": {"id": `+stallingTenant+`,`, 1))
	require.Contains(t, string(stalls.Data), `"tenant": {"id": `+stallingTenant+`,`)
	garbled := tenantEvent(t, "site-tenant-acme.json")
	garbled.Data = json.RawMessage(strings.Replace(string(garbled.Data), `"tenant": {"id": 7,`, `"tenant": {"id": `+garbledTenant+`,`, 1))
	cases := []struct {
		name, http string
		ev         *wasmhook.Event
		want       string
	}{
		{"no grant", "", acme, `{"id":7,"error":"not_allowed"}`},
		{"another prefix", grant(nb.URL+"/api/dcim", `{Authorization: "Token ${NETBOX_TOKEN}"}`), acme,
			`{"id":7,"error":"not_allowed"}`},
		{"no token", grant(nb.URL, `{}`), acme, `{"id":7,"error":"http_401"}`},
		{"timeout", grant(nb.URL, `{Authorization: "Token ${NETBOX_TOKEN}"}`), stalls, `{"id":5,"error":"timeout"}`},
		// Every language reads the answer with field reads: the host finds
		// no JSON, so none picks a name out of the page.
		{"200 not JSON", grant(nb.URL, `{Authorization: "Token ${NETBOX_TOKEN}"}`), garbled, `{"id":6,"error":"bad_response"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, langs := tenantEnricher(t, nb.URL, c.http)
			res, err := e.Enrich(context.Background(), c.ev)
			require.NoError(t, err)
			require.Empty(t, res.Failed())
			got := tenantInfos(t, res, c.ev)
			for _, lang := range langs {
				assert.Equal(t, c.want, got[lang], lang)
			}
			assert.False(t, bytes.Contains(res.Payload, []byte(netboxToken)))
		})
	}
}

// TestNetBoxTenantNeedsItsURL: a configuration without netbox_url fails
// the call, naming the key; the webhook goes out without the module's
// context.
func TestNetBoxTenantNeedsItsURL(t *testing.T) {
	files, cache := tenantModules(t)
	dir := t.TempDir()
	for lang, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, lang+".wasm"), b, 0o644))
	}
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: dir, CompilationCacheDir: cache,
		Logger: testmod.Logger(io.Discard), Limits: wasmhook.Limits{Timeout: 10 * time.Second}})
	require.NoError(t, err)
	defer e.Close(ctx)
	ev := tenantEvent(t, "site-tenant-acme.json")
	res, err := e.Enrich(ctx, ev)
	require.NoError(t, err)
	require.Len(t, res.Failed(), len(files))
	for _, rep := range res.Failed() {
		assert.ErrorContains(t, rep.Err, "netbox_tenant: the configuration has no netbox_url string", rep.Callback)
	}
	var p struct{ Context map[string]any }
	require.NoError(t, json.Unmarshal(res.Payload, &p))
	assert.Empty(t, p.Context)
}
