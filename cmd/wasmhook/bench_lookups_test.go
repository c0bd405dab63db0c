package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grantedTenant is a modules directory whose 10-tenant (http_fetch) may
// GET a local server's /api/ with a token from WASMHOOK_TEST_TOKEN, and
// the server, which counts its requests and checks the token.
func grantedTenant(t *testing.T) (dir string, upstream *atomic.Int64) {
	upstream = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstream.Add(1)
		if r.Header.Get("Authorization") != "Token cli-test-token" {
			http.Error(w, `{"detail":"no token"}`, http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"name":"acme","slug":"acme"}`)
	}))
	t.Cleanup(srv.Close)
	dir = modules(t, map[string]string{"10-tenant": "http_fetch"})
	settings := fmt.Sprintf(`modules:
  10-tenant:
    config: {url: %q}
    nest: true
    http:
      grants:
        - prefix: %s/api/
          headers: {Authorization: "Token ${WASMHOOK_TEST_TOKEN}"}
          networks: [127.0.0.1/32]
          cache_ttl: 1m
`, srv.URL+"/api/tenancy/tenants/7/", srv.URL)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasmhook.yaml"), []byte(settings), 0o644))
	return dir, upstream
}

var tokenEnv = []string{"WASMHOOK_TEST_TOKEN=cli-test-token"}

// TestBenchHonoursGrants: bench loads the modules directory's settings
// file as run does: the module's grant (a local server, its token from
// the environment) lets its lookups through, and the report counts one
// request upstream and a cache hit for every later event.
func TestBenchHonoursGrants(t *testing.T) {
	dir, upstream := grantedTenant(t)
	r := wasmhookEnv(t, tokenEnv, "", "bench", "--modules", dir, "-n", "50", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Callbacks []struct {
			Name      string
			Failed    int
			Requests  int   `json:"http_requests"`
			CacheHits int   `json:"http_cache_hits"`
			WaitedNS  int64 `json:"http_waited_ns"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Callbacks, 1)
	cb := rep.Callbacks[0]
	assert.Equal(t, "10-tenant", cb.Name)
	assert.Zero(t, cb.Failed)
	assert.Equal(t, 1, cb.Requests)
	assert.Equal(t, 49, cb.CacheHits)
	assert.Positive(t, cb.WaitedNS)
	assert.EqualValues(t, 1, upstream.Load())

	upstream.Store(0)
	r = wasmhookEnv(t, tokenEnv, "", "bench", "--modules", dir, "-n", "20", "-c", "2")
	require.Equal(t, 0, r.code, r.stderr)
	// On 2 goroutines the first two events may both wait for the one
	// request: each counts it.
	assert.Regexp(t, `10-tenant looked up over HTTP: (1 requests upstream \(\S+ waited in all\), 19|2 requests upstream \(\S+ waited in all\), 18) cache hits\n`, r.stdout)
	assert.EqualValues(t, 1, upstream.Load(), "the second bench's cache started cold; one request upstream")
}

// TestRunHonoursGrants: run lets a module's lookups through its grant,
// with the token from the environment that the module never sees, and
// reports the request; without the token the module does not load.
func TestRunHonoursGrants(t *testing.T) {
	dir, upstream := grantedTenant(t)
	r := wasmhookEnv(t, tokenEnv, "", "run", "--modules", dir, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep struct {
		Payload struct {
			Context map[string]struct {
				Status int
				Body   map[string]string
			}
		}
		Callbacks []struct {
			Requests int `json:"http_requests"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	tenant := rep.Payload.Context["10-tenant"]
	assert.Equal(t, 200, tenant.Status)
	assert.Equal(t, map[string]string{"name": "acme", "slug": "acme"}, tenant.Body)
	require.Len(t, rep.Callbacks, 1)
	assert.Equal(t, 1, rep.Callbacks[0].Requests)
	assert.NotContains(t, r.stdout, "cli-test-token")
	assert.EqualValues(t, 1, upstream.Load())

	r = wasmhook(t, "", "run", "--modules", dir)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "${WASMHOOK_TEST_TOKEN}: the environment variable is not set")
}
