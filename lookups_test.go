package wasmhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// TestLookupGrantedInTheSettingsFile: a settings file grants http_fetch
// a prefix on a local server with a token from the environment; the
// module's context holds the body's field, the server got the token, the
// payload never holds it, and the reports count a request, then a cache
// hit.
func TestLookupGrantedInTheSettingsFile(t *testing.T) {
	t.Setenv("WASMHOOK_TEST_NETBOX_TOKEN", "0123456789abcdef")
	var upstream atomic.Int64
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstream.Add(1)
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, `{"tenant":{"name":"acme"},"auth":%q}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	dir := modulesDir(t, map[string]string{"10-tenant": "http_fetch"})
	settings := fmt.Sprintf(`modules:
  10-tenant:
    config: {url: %q}
    nest: true
    http:
      grants:
        - prefix: %s/api/
          headers: {Authorization: "Token ${WASMHOOK_TEST_NETBOX_TOKEN}"}
          networks: [127.0.0.1/32]
          cache_ttl: 1m
      timeout: 2s
      max_requests: 2
`, srv.URL+"/api/tenancy/tenants/7/", srv.URL)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	e := newEnricher(t, wasmhook.Options{Dir: dir})

	for i, want := range []struct{ requests, hits int }{{1, 0}, {0, 1}} {
		res, err := e.Enrich(context.Background(), &siteEvent)
		require.NoError(t, err)
		require.Empty(t, res.Failed())
		assert.NotContains(t, string(res.Payload), "0123456789abcdef")
		ctx := testmod.ContextOf(t, res.Payload)
		tenant := ctx["10-tenant"].(map[string]any)
		assert.EqualValues(t, 200, tenant["status"])
		body := tenant["body"].(map[string]any)
		assert.Equal(t, map[string]any{"name": "acme"}, body["tenant"])
		assert.Equal(t, "(redacted)", body["auth"], "an echoed token is replaced")
		rep := res.Reports[0]
		assert.Equal(t, want.requests, rep.Requests, "event %d", i)
		assert.Equal(t, want.hits, rep.CacheHits, "event %d", i)
	}
	assert.EqualValues(t, 1, upstream.Load())
	assert.Equal(t, "Token 0123456789abcdef", auth.Load())
}

// TestLookupConcurrentEventsOneUpstreamRequest: 100 events enriched at
// once, each asking for the same tenant, make one upstream request
// (issue 17): the first waits for the server, the others wait for it or
// find its answer in the cache, and every payload has the tenant.
func TestLookupConcurrentEventsOneUpstreamRequest(t *testing.T) {
	var upstream atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstream.Add(1)
		<-release
		fmt.Fprint(w, `{"tenant":{"name":"acme"}}`)
	}))
	defer srv.Close()
	dir := modulesDir(t, map[string]string{"10-tenant": "http_fetch"})
	settings := fmt.Sprintf(`modules:
  10-tenant:
    config: {url: %q}
    nest: true
    http:
      grants:
        - prefix: %s/api/
          networks: [127.0.0.1/32]
          cache_ttl: 1m
`, srv.URL+"/api/tenancy/tenants/7/", srv.URL)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	e := newEnricher(t, wasmhook.Options{Dir: dir})

	const events = 100
	var wg sync.WaitGroup
	results := make([]*wasmhook.Result, events)
	errs := make([]error, events)
	for i := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Enrich(context.Background(), &siteEvent)
		}()
	}
	require.Eventually(t, func() bool { return upstream.Load() >= 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the other events reach the request in flight
	close(release)
	wg.Wait()
	assert.EqualValues(t, 1, upstream.Load(), "upstream requests for %d concurrent events", events)
	var requests, hits int
	for i, res := range results {
		require.NoError(t, errs[i])
		require.Empty(t, res.Failed())
		tenant := testmod.ContextOf(t, res.Payload)["10-tenant"].(map[string]any)
		assert.Equal(t, map[string]any{"tenant": map[string]any{"name": "acme"}}, tenant["body"], "event %d", i)
		requests += res.Reports[0].Requests
		hits += res.Reports[0].CacheHits
	}
	assert.Equal(t, events, requests+hits, "each event made its request, shared or cached")
	assert.Positive(t, requests, "the events that waited for the one in flight count it as theirs")
}

// TestLookupSecretUnsetFailsTheLoad: a header naming an unset variable
// fails the load, naming the module and the key, never a value.
func TestLookupSecretUnsetFailsTheLoad(t *testing.T) {
	dir := modulesDir(t, map[string]string{"10-tenant": "http_fetch"})
	settings := `modules:
  10-tenant:
    http:
      grants:
        - prefix: https://netbox.example.com/api/
          headers: {Authorization: "Token ${WASMHOOK_TEST_UNSET_TOKEN}"}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	_, err := wasmhook.New(context.Background(), wasmhook.Options{Dir: dir})
	require.ErrorIs(t, err, wasmhook.ErrBadConfig)
	assert.ErrorContains(t, err, "10-tenant.wasm")
	assert.ErrorContains(t, err, "modules.10-tenant.http.grants[0].headers.Authorization: ${WASMHOOK_TEST_UNSET_TOKEN}: the environment variable is not set")
}

// TestKVThroughOptions: an embedding host's store (Options.KV) holds a
// module's keys under its callback name.
func TestKVThroughOptions(t *testing.T) {
	store := &mapKV{m: map[string][]byte{}}
	dir := modulesDir(t, map[string]string{"20-last": "kv_last"})
	e := newEnricher(t, wasmhook.Options{Dir: dir, KV: store,
		Modules: map[string]wasmhook.ModuleSettings{"20-last": {Nest: wasmhook.NestByName}}})
	res, err := e.Enrich(context.Background(), &siteEvent)
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	name, _ := json.Marshal(testmod.ContextOf(t, res.Payload)["20-last"])
	assert.JSONEq(t, `{"get":-7,"prev":null,"op":0}`, string(name))
	assert.Contains(t, store.m, "20-last/last")
}

// mapKV is the smallest KV.
type mapKV struct{ m map[string][]byte }

func (s *mapKV) Get(_ context.Context, module, key string) ([]byte, bool, error) {
	v, ok := s.m[module+"/"+key]
	return v, ok, nil
}
func (s *mapKV) Set(_ context.Context, module, key string, value []byte, _ time.Duration) error {
	s.m[module+"/"+key] = append([]byte(nil), value...)
	return nil
}
func (s *mapKV) Delete(_ context.Context, module, key string) error {
	delete(s.m, module+"/"+key)
	return nil
}
