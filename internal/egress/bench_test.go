package egress_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/egress"
)

// tenantBody is a NetBox tenant, about the size the API returns.
const tenantBody = `{"id":5,"url":"https://nb.local/api/tenancy/tenants/5/","display_url":"https://nb.local/tenancy/tenants/5/","display":"Helvetia Networks AG","name":"Helvetia Networks AG","slug":"helvetia-networks","group":{"id":2,"url":"https://nb.local/api/tenancy/tenant-groups/2/","display":"Customers","name":"Customers","slug":"customers","description":"","_depth":0},"description":"Colocation customer since 2019","comments":"","tags":[],"custom_fields":{},"created":"2024-11-05T09:12:44.120934Z","last_updated":"2026-03-06T15:11:23.480122Z","circuit_count":2,"device_count":38,"ipaddress_count":41,"prefix_count":12,"rack_count":6,"site_count":1,"virtualmachine_count":0,"vlan_count":9,"vrf_count":1,"cluster_count":0}`

// cachedClient is a client with req's response in its cache.
func cachedClient(tb testing.TB) (c *egress.Client, req egress.Request) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(tenantBody))
	}))
	tb.Cleanup(s.Close)
	c, err := egress.New(egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/api/", Networks: loopback,
		Headers: map[string]string{"Authorization": token}, CacheTTL: time.Hour}}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	req = egress.Request{Method: "GET", URL: s.URL + "/api/tenancy/tenants/5/"}
	resp, err := c.NewCall().Do(context.Background(), req)
	if err != nil || resp.Status != 200 || resp.Cached {
		tb.Fatalf("first request: %v, %+v", err, resp)
	}
	return c, req
}

// TestCacheHitServesTheBody: what BenchmarkCacheHit times is a hit with
// the upstream's body, counted as one, by Do and by Cached alike; Cached
// leaves to Do what the cache does not hold, and what Do must decide.
func TestCacheHitServesTheBody(t *testing.T) {
	c, req := cachedClient(t)
	call := c.NewCall()
	for _, cached := range []bool{false, true} {
		for range 3 {
			call.Reset(c)
			var resp *egress.Response
			var err error
			if cached {
				var ok bool
				resp, ok = call.Cached(nil, []byte(req.URL))
				require.True(t, ok)
			} else {
				resp, err = call.Do(context.Background(), req)
			}
			require.NoError(t, err)
			assert.True(t, resp.Cached)
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, tenantBody, string(resp.Body))
			assert.Equal(t, egress.Stats{CacheHits: 1}, call.Stats())
		}
	}
	call.Reset(c)
	for _, m := range []string{"POST", "get", "HEAD"} {
		_, ok := call.Cached([]byte(m), []byte(req.URL))
		assert.False(t, ok, m)
	}
	_, ok := call.Cached([]byte("GET"), []byte(req.URL+"?x"))
	assert.False(t, ok, "another URL")
	for range 8 { // MaxRequests
		_, ok := call.Cached([]byte("GET"), []byte(req.URL))
		require.True(t, ok)
	}
	_, ok = call.Cached([]byte("GET"), []byte(req.URL))
	assert.False(t, ok, "past MaxRequests, Do says why")
	_, err := call.Do(context.Background(), req)
	assert.ErrorIs(t, err, egress.ErrNotAllowed)
}

// BenchmarkCacheHit times a GET the cache answers, through Do and through
// Cached: what a lookup module's warm event costs in egress.
func BenchmarkCacheHit(b *testing.B) {
	c, req := cachedClient(b)
	ctx := context.Background()
	call := c.NewCall()
	b.Run("Do", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			call.Reset(c)
			resp, err := call.Do(ctx, req)
			if err != nil || !resp.Cached {
				b.Fatal(err, resp)
			}
		}
	})
	method, url := []byte("GET"), []byte(req.URL)
	b.Run("Cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			call.Reset(c)
			if _, ok := call.Cached(method, url); !ok {
				b.Fatal("a miss")
			}
		}
	})
}

// TestCachedWithin: a call that says when it runs (its start and its
// deadline) has a hit's freshness decided from those bounds, the clock
// read only when the entry goes stale between them; Reset forgets them.
func TestCachedWithin(t *testing.T) {
	c, req := cachedClient(t) // cached for an hour
	call := c.NewCall()
	now := time.Now()
	for _, w := range []struct {
		name     string
		from, to time.Time
		fresh    bool
	}{
		{"a call now", now, now.Add(time.Second), true},
		{"a call whose deadline is past the entry's end: the clock decides", now.Add(59 * time.Minute), now.Add(61 * time.Minute), true},
		{"no window (to before from): the clock decides", now.Add(2 * time.Hour), now, true},
		{"a call that starts after the entry's end", now.Add(2 * time.Hour), now.Add(2*time.Hour + time.Second), false},
	} {
		call.Reset(c)
		call.Within(w.from, w.to)
		_, ok := call.Cached(nil, []byte(req.URL))
		assert.Equal(t, w.fresh, ok, w.name)
	}
	// The stale entry is gone: the next call goes upstream, and caches it
	// again for a call with no window.
	call.Reset(c)
	resp, err := call.Do(context.Background(), req)
	require.NoError(t, err)
	assert.False(t, resp.Cached)
	call.Reset(c)
	_, ok := call.Cached(nil, []byte(req.URL))
	assert.True(t, ok)
}
