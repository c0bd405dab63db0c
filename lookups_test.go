package wasmhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
