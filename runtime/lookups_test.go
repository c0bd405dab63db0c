package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/egress"
	"github.com/wasmhook/wasmhook/internal/kv"
	"github.com/wasmhook/wasmhook/runtime"
)

// fetchResult is http_fetch's output.
type fetchResult struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// fetch loads http_fetch with cfg and policy, calls it once and decodes
// its output.
func fetch(t *testing.T, e *runtime.Engine, cfg string, policy *egress.Policy) (fetchResult, runtime.LookupStats, error) {
	t.Helper()
	m := load(t, e, "http_fetch", runtime.ModuleOptions{Config: []byte(cfg), HTTP: policy})
	defer m.Close(context.Background())
	return fetchWith(t, m)
}

func fetchWith(t *testing.T, m *runtime.Module) (fetchResult, runtime.LookupStats, error) {
	t.Helper()
	var ev runtime.Event
	ev.Reset([]byte(input), nil, nil)
	var st runtime.LookupStats
	out, err := m.CallEventStats(context.Background(), time.Now(), &ev, nil, &st)
	var r fetchResult
	if err == nil {
		require.NoError(t, json.Unmarshal(out, &r), "%s", out)
	}
	return r, st, err
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// TestHTTPRequestUnderGrant: a module fetches a URL under its grant from
// a server on 127.0.0.1 (a network the grant names), gets the status,
// the headers and the body through guest memory, and a second call is
// answered from the cache.
func TestHTTPRequestUnderGrant(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := hits.LoadOrStore(r.URL.Path, new(int))
		*n.(*int)++
		w.Header().Set("X-Upstream", "yes")
		fmt.Fprintf(w, `{"tenant":{"name":"acme"},"path":%q}`, r.URL.Path)
	}))
	defer srv.Close()
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL + "/api", Networks: loopback, CacheTTL: time.Minute}}}
	cfg := fmt.Sprintf(`{"url": %q}`, srv.URL+"/api/tenancy/tenants/1/")
	m := load(t, e, "http_fetch", runtime.ModuleOptions{Config: []byte(cfg), HTTP: policy})
	defer m.Close(context.Background())

	r, st, err := fetchWith(t, m)
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, "yes", r.Headers["x-upstream"])
	assert.JSONEq(t, `{"tenant":{"name":"acme"},"path":"/api/tenancy/tenants/1/"}`, string(r.Body))
	assert.Equal(t, 1, st.Requests)
	assert.Zero(t, st.CacheHits)

	r, st, err = fetchWith(t, m)
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"tenant":{"name":"acme"},"path":"/api/tenancy/tenants/1/"}`, string(r.Body))
	assert.Equal(t, runtime.LookupStats{CacheHits: 1}, st)
	n, _ := hits.Load("/api/tenancy/tenants/1/")
	assert.Equal(t, 1, *n.(*int), "the second call was served from the cache")
}

// TestHTTPRequestRefused: what no grant allows is a status the guest
// handles, never a trap: no policy at all, a URL outside the prefix, a
// scheme other than http(s), loopback without a grant naming it, and
// headers that are not a JSON object of strings.
func TestHTTPRequestRefused(t *testing.T) {
	var reached bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	granted := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL + "/api", Networks: loopback}}}
	noNetwork := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL + "/api"}}}
	for _, c := range []struct {
		name, cfg string
		policy    *egress.Policy
		want      int
	}{
		{"no grants", fmt.Sprintf(`{"url": %q}`, srv.URL+"/api/x"), nil, abi.LookupNotAllowed},
		{"outside the prefix", fmt.Sprintf(`{"url": %q}`, srv.URL+"/apix"), granted, abi.LookupNotAllowed},
		{"dot segments", fmt.Sprintf(`{"url": %q}`, srv.URL+"/api/../admin"), granted, abi.LookupNotAllowed},
		{"file scheme", `{"url": "file:///etc/passwd"}`, granted, abi.LookupNotAllowed},
		{"loopback not granted", fmt.Sprintf(`{"url": %q}`, srv.URL+"/api/x"), noNetwork, abi.LookupNotAllowed},
		{"headers not strings", fmt.Sprintf(`{"url": %q, "headers": {"X-A": 1}}`, srv.URL+"/api/x"), granted, abi.LookupBadRequest},
		{"headers not an object", fmt.Sprintf(`{"url": %q, "headers": ["a"]}`, srv.URL+"/api/x"), granted, abi.LookupBadRequest},
		{"bad method", fmt.Sprintf(`{"url": %q, "method": "GE T"}`, srv.URL+"/api/x"), granted, abi.LookupBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, st, err := fetch(t, e, c.cfg, c.policy)
			require.NoError(t, err)
			assert.Equal(t, c.want, r.Status)
			assert.Zero(t, st.Requests)
		})
	}
	assert.False(t, reached, "no request reached the server")
}

// TestHTTPCredentialNeverSeen: the grant's Authorization header reaches
// the upstream over the module's own, and the module never sees it, not
// even when the upstream echoes it in the body and in a header.
func TestHTTPCredentialNeverSeen(t *testing.T) {
	const token = "Token 0123456789abcdef"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("X-Echo", got)
		json.NewEncoder(w).Encode(map[string]any{"headers": r.Header})
	}))
	defer srv.Close()
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL, Networks: loopback, Headers: map[string]string{"Authorization": token}}}}
	cfg := fmt.Sprintf(`{"url": %q, "headers": {"authorization": "Token guest", "X-Mine": "1"}}`, srv.URL+"/echo")
	r, _, err := fetch(t, e, cfg, policy)
	require.NoError(t, err)
	assert.Equal(t, token, got, "the grant's header wins over the module's")
	assert.Equal(t, 200, r.Status)
	raw, _ := json.Marshal(r)
	assert.NotContains(t, string(raw), "0123456789abcdef")
	assert.Contains(t, string(r.Body), "(redacted)")
	assert.Contains(t, string(r.Body), `"X-Mine":["1"]`)
}

// TestHTTPWaitCountsAgainstTheCallLimit: a call whose upstream takes 5 s
// ends near its 100 ms limit: the request's context is the call's.
func TestHTTPWaitCountsAgainstTheCallLimit(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		case <-release:
		}
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	defer close(release)
	e := newEngine(t, runtime.Limits{PoolSize: 1, Timeout: 100 * time.Millisecond}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL, Networks: loopback}}, Timeout: 5 * time.Second}
	start := time.Now()
	r, st, err := fetch(t, e, fmt.Sprintf(`{"url": %q}`, srv.URL+"/slow"), policy)
	took := time.Since(start)
	assert.Less(t, took, 2*time.Second, "the call outlived its limit waiting")
	if err == nil {
		assert.Equal(t, abi.LookupTimeout, r.Status)
	} else {
		assert.ErrorIs(t, err, abi.ErrTimeout)
	}
	assert.Equal(t, 1, st.Requests)
	assert.Less(t, st.Waited, 2*time.Second)
}

// TestHTTPGrantTimeoutThenNextCall: a request cut by its grant's timeout
// ends before the call does, and the instance's next call starts while
// the request's timer may still be unwinding: the request's context must
// not reach into the call's, which the next call reuses (the race
// detector saw the timer read it as the next call reset it).
func TestHTTPGrantTimeoutThenNextCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	e := newEngine(t, runtime.Limits{PoolSize: 1, Timeout: 5 * time.Second}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL, Networks: loopback}}, Timeout: 2 * time.Millisecond}
	m := load(t, e, "http_fetch", runtime.ModuleOptions{Config: []byte(fmt.Sprintf(`{"url": %q}`, srv.URL+"/stall")), HTTP: policy})
	defer m.Close(context.Background())
	for range 30 {
		r, st, err := fetchWith(t, m)
		require.NoError(t, err)
		require.Equal(t, abi.LookupTimeout, r.Status)
		require.Equal(t, 1, st.Requests)
	}
}

// TestKVAcrossEvents: kv_last keeps the last event's name under a key
// with a time to live: the next event reads it, it expires, a delete
// removes it. Statuses, never traps, for what is not there.
func TestKVAcrossEvents(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	store := kv.NewMemory(kv.Limits{}, clock)
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.Config{Limits: runtime.Limits{PoolSize: 1}, KV: store})
	require.NoError(t, err)
	defer e.Close(ctx)
	m := load(t, e, "kv_last", runtime.ModuleOptions{Config: []byte(`{"ttl": "60000"}`)})
	defer m.Close(ctx)
	event := func(data string) string {
		t.Helper()
		in := `{"object_type":"dcim.site","event_type":"object_updated","data":` + data + `,"request":null}`
		out, err := m.Call(ctx, []byte(in), nil)
		require.NoError(t, err)
		return string(out)
	}
	assert.JSONEq(t, `{"get":-7,"prev":null,"op":0}`, event(`{"name":"a"}`))
	assert.JSONEq(t, `{"get":3,"prev":"a","op":0}`, event(`{"name":"b"}`))
	advance(61 * time.Second)
	assert.JSONEq(t, `{"get":-7,"prev":null,"op":0}`, event(`{"name":"c"}`), "expired")
	assert.JSONEq(t, `{"get":3,"prev":"c","op":0}`, event(`{"delete":true}`))
	assert.JSONEq(t, `{"get":-7,"prev":null,"op":0}`, event(`{"name":"d"}`), "deleted")

	// The module's keys are under its callback name, apart from others'.
	v, ok, err := store.Get(ctx, "kv_last", "last")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, `"d"`, string(v))
}

// TestKVModuleBound: a module's kv max_bytes bounds its keys: a set past
// it is LookupFull, a status.
func TestKVModuleBound(t *testing.T) {
	ctx := context.Background()
	e, err := runtime.NewEngine(ctx, runtime.Config{Limits: runtime.Limits{PoolSize: 1}, KV: kv.NewMemory(kv.Limits{}, nil)})
	require.NoError(t, err)
	defer e.Close(ctx)
	m := load(t, e, "kv_last", runtime.ModuleOptions{KVBytes: 16})
	defer m.Close(ctx)
	in := `{"object_type":"dcim.site","event_type":"object_updated","data":{"name":"` + strings.Repeat("x", 20) + `"},"request":null}`
	out, err := m.Call(ctx, []byte(in), nil)
	require.NoError(t, err)
	assert.JSONEq(t, fmt.Sprintf(`{"get":-7,"prev":null,"op":%d}`, abi.LookupFull), string(out))
}

// TestLookupsCheckTheWholeRange: every range of the lookup functions is
// checked whole before anything else (abi/SPEC.md section 3), as
// TestHostFunctionsCheckTheWholeRange does for the others.
func TestLookupsCheckTheWholeRange(t *testing.T) {
	const (
		size   = 65536
		maxU32 = 1<<32 - 1
	)
	names := map[int]string{11: "http_request", 12: "http_request", 13: "http_request", 14: "http_request",
		15: "http_response_read", 16: "kv_get", 17: "kv_get", 18: "kv_set", 19: "kv_set", 20: "kv_delete"}
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	for fn := 11; fn <= 20; fn++ {
		for _, c := range []struct {
			ptr, len int
			trap     bool
		}{
			{size, 0, false}, {size - 1, 1, false},
			{size + 1, 0, true}, {size - 1, 2, true}, {64000, 2000, true},
			{0, maxU32, true}, {maxU32, 1, true}, {maxU32, maxU32, true},
		} {
			t.Run(fmt.Sprintf("%d:%s(%d,%d)", fn, names[fn], c.ptr, c.len), func(t *testing.T) {
				cfg := fmt.Sprintf(`{"probe":[%d,%d,%d,0]}`, fn, c.ptr, c.len)
				m := load(t, e, "lookup_range_probe", runtime.ModuleOptions{Config: []byte(cfg)})
				defer m.Close(t.Context())
				out, err := call(t, m)
				if !c.trap {
					require.NoError(t, err)
					assert.Equal(t, `{"probed":true}`, out)
					return
				}
				require.ErrorIs(t, err, abi.ErrTrap)
				assert.ErrorContains(t, err, fmt.Sprintf("%s: range [%d, %d) is outside the guest's 65536-byte memory", names[fn], c.ptr, c.ptr+c.len))
			})
		}
	}
}

// cachedGet loads http_get on a GET its grant caches, and makes the first
// request: every later call is answered from the cache.
func cachedGet(tb testing.TB) *runtime.Module {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 600)))
	}))
	tb.Cleanup(srv.Close)
	e := newEngine(tb, runtime.Limits{PoolSize: 1, Timeout: 10 * time.Second}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL + "/api/", Networks: loopback, CacheTTL: time.Hour,
		Headers: map[string]string{"Authorization": "Token 0123456789abcdef"}}}}
	cfg := fmt.Sprintf(`{"url": %q}`, srv.URL+"/api/tenancy/tenants/5/")
	m := load(tb, e, "http_get", runtime.ModuleOptions{Config: []byte(cfg), HTTP: policy})
	tb.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// TestHTTPCacheHitCall: what BenchmarkHTTPCacheHit times: the first call
// goes upstream, the next ones are cache hits with the body.
func TestHTTPCacheHitCall(t *testing.T) {
	m := cachedGet(t)
	var ev runtime.Event
	ev.Reset([]byte(input), nil, nil)
	for i, want := range []runtime.LookupStats{{Requests: 1}, {CacheHits: 1}, {CacheHits: 1}} {
		var st runtime.LookupStats
		out, err := m.CallEventStats(context.Background(), time.Now(), &ev, nil, &st)
		require.NoError(t, err)
		assert.JSONEq(t, `{"status":200,"bytes":600}`, string(out), "call %d", i)
		st.Waited = 0
		assert.Equal(t, want, st, "call %d", i)
	}
}

// TestHTTPCacheHitAllocatesNothing: a lookup the cache answers costs the
// call no allocation (the warm case of a lookup module stays as cheap as
// the rest of a call).
func TestHTTPCacheHitAllocatesNothing(t *testing.T) {
	m := cachedGet(t)
	var ev runtime.Event
	ev.Reset([]byte(input), nil, nil)
	ctx := context.Background()
	var st runtime.LookupStats
	out := make([]byte, 0, 64)
	var err error
	allocs := testing.AllocsPerRun(50, func() {
		out, err = m.CallEventStats(ctx, time.Now(), &ev, out[:0], &st)
	})
	require.NoError(t, err)
	require.Equal(t, 1, st.CacheHits)
	assert.Zero(t, allocs)
}

// BenchmarkHTTPCacheHit is one call of a module whose GET the cache
// answers: the host function, the cache and the copy of the body out.
func BenchmarkHTTPCacheHit(b *testing.B) {
	m := cachedGet(b)
	var ev runtime.Event
	ev.Reset([]byte(input), nil, nil)
	ctx := context.Background()
	var st runtime.LookupStats
	out := make([]byte, 0, 64)
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if out, err = m.CallEventStats(ctx, time.Now(), &ev, out[:0], &st); err != nil {
			b.Fatal(err)
		}
	}
	if st.CacheHits != 1 {
		b.Fatalf("the last call: %+v, want a cache hit", st)
	}
}

// TestFieldReadsOfTheResponse: document 4 is the body of the call's last
// response, read with the three field functions like the input: the last
// of duplicate keys, arrays, a missing path; a body that is not JSON, and
// no response at all (none made, or a request refused), are statuses. A
// cached response answers the next call, with the same values.
func TestFieldReadsOfTheResponse(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/api/html" {
			io.WriteString(w, "<html>a proxy's error page</html>")
			return
		}
		io.WriteString(w, `{"name": "Acme", "slug": "old", "slug": "acme", "tags": [{"id": 7}], "group": null}`+"\n")
	}))
	defer srv.Close()
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	policy := &egress.Policy{Grants: []egress.Grant{{Prefix: srv.URL + "/api", Networks: loopback, CacheTTL: time.Minute}}}
	probeURL := func(url, path string) (probeResult, runtime.LookupStats) {
		t.Helper()
		cfg, err := json.Marshal(map[string]any{"doc": abi.DocResponse, "path": path, "url": url})
		require.NoError(t, err)
		m := load(t, e, "field_probe", runtime.ModuleOptions{Config: cfg, HTTP: policy})
		defer m.Close(context.Background())
		var ev runtime.Event
		ev.Reset([]byte(input), nil, nil)
		var st runtime.LookupStats
		out, err := m.CallEventStats(context.Background(), time.Now(), &ev, nil, &st)
		require.NoError(t, err)
		var r probeResult
		require.NoError(t, json.Unmarshal(out, &r), "%s", out)
		return r, st
	}
	str := func(s string) *string { return &s }
	tenant := srv.URL + "/api/tenancy/tenants/1/"
	for _, tc := range []struct {
		url, path string
		want      probeResult
	}{
		{tenant, "/slug", probeResult{Type: abi.FieldString, Read: 6, String: 4, Value: json.RawMessage(`"acme"`), Text: str("acme")}},
		{tenant, "/tags/0/id", probeResult{Type: abi.FieldNumber, Read: 1, String: abi.FieldNotString, Value: json.RawMessage(`7`)}},
		{tenant, "/group", probeResult{Type: abi.FieldNull, Read: 4, String: abi.FieldNotString, Value: json.RawMessage(`null`)}},
		{tenant, "/tenant", probeResult{Type: abi.FieldMissing, Read: abi.FieldMissing, String: abi.FieldMissing, Value: json.RawMessage(`null`)}},
		{srv.URL + "/api/html", "", probeResult{Type: abi.FieldNotJSON, Read: abi.FieldNotJSON, String: abi.FieldNotJSON, Value: json.RawMessage(`null`)}},
		{"", "/slug", probeResult{Type: abi.FieldNoResponse, Read: abi.FieldNoResponse, String: abi.FieldNoResponse, Value: json.RawMessage(`null`)}},
		{srv.URL + "/elsewhere", "/slug", probeResult{Type: abi.FieldNoResponse, Read: abi.FieldNoResponse, String: abi.FieldNoResponse, Value: json.RawMessage(`null`)}},
	} {
		got, _ := probeURL(tc.url, tc.path)
		assert.Equal(t, tc.want, got, "%s %s", tc.url, tc.path)
	}

	// One instance, two events: the second reads the cached response.
	cfg := fmt.Sprintf(`{"doc": 4, "path": "/name", "url": %q}`, srv.URL+"/api/tenancy/tenants/2/")
	m := load(t, e, "field_probe", runtime.ModuleOptions{Config: []byte(cfg), HTTP: policy})
	defer m.Close(context.Background())
	before := hits.Load()
	for i, want := range []runtime.LookupStats{{Requests: 1}, {CacheHits: 1}} {
		var ev runtime.Event
		ev.Reset([]byte(input), nil, nil)
		var st runtime.LookupStats
		out, err := m.CallEventStats(context.Background(), time.Now(), &ev, nil, &st)
		require.NoError(t, err)
		assert.JSONEq(t, `{"type":5,"read":6,"string":4,"value":"Acme","text":"Acme"}`, string(out), "call %d", i)
		st.Waited = 0
		assert.Equal(t, want, st, "call %d", i)
	}
	assert.Equal(t, before+1, hits.Load())
}
