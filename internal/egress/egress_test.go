package egress_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/internal/egress"
)

const token = "Token 0123456789abcdef-secret"

// loopback lets a grant reach the test servers on 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// echo answers with the request's method, path and headers, in its body
// and in a response header, as some APIs do.
func echo(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Authorization", r.Header.Get("Authorization"))
		fmt.Fprintf(w, "%s %s auth=%q x=%q", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Module"))
	}))
	t.Cleanup(s.Close)
	return s
}

func client(t *testing.T, p egress.Policy) *egress.Client {
	c, err := egress.New(p)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func do(c *egress.Client, method, url string, h http.Header) (*egress.Response, error) {
	return c.NewCall().Do(context.Background(), egress.Request{Method: method, URL: url, Header: h})
}

// TestGrants: only URLs under a grant's prefix, on a path-segment
// boundary and without dot segments, over http or https.
func TestGrants(t *testing.T) {
	s := echo(t)
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/api", Networks: loopback}}})
	for _, path := range []string{"/api", "/api/", "/api/dcim/sites/4/"} {
		resp, err := do(c, "GET", s.URL+path, nil)
		require.NoError(t, err, path)
		assert.Equal(t, 200, resp.Status)
	}
	for _, u := range []string{s.URL + "/apix", s.URL + "/", s.URL + "/api/../admin", s.URL + "/api/%2e%2e/admin",
		strings.Replace(s.URL, "http:", "https:", 1) + "/api", "file:///etc/passwd", "http://127.0.0.2:1/api",
		strings.Replace(s.URL, "127.0.0.1", "user:pw@127.0.0.1", 1) + "/api"} {
		_, err := do(c, "GET", u, nil)
		assert.ErrorIs(t, err, egress.ErrNotAllowed, u)
	}
	for _, prefix := range []string{"ftp://example.org/", "example.org/api", "http:///x", "https://h/?q=1"} {
		_, err := egress.New(egress.Policy{Grants: []egress.Grant{{Prefix: prefix}}})
		assert.ErrorContains(t, err, prefix)
	}
}

// TestCredentials: the grant's headers are set over the module's, and no
// injected value comes back to the module: not in the body, not in a
// header, not in an error.
func TestCredentials(t *testing.T) {
	s := echo(t)
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback, Headers: map[string]string{"Authorization": token}}}})
	resp, err := do(c, "POST", s.URL+"/api/", http.Header{"Authorization": {"Token mine"}, "X-Module": {"m"}})
	require.NoError(t, err)
	assert.Equal(t, `POST /api/ auth="(redacted)" x="m"`, string(resp.Body), "the injected header won, and came back redacted")
	assert.Equal(t, "(redacted)", resp.Header.Get("X-Seen-Authorization"))
	for _, v := range resp.Header {
		assert.NotContains(t, strings.Join(v, " "), "0123456789abcdef")
	}

	// A redirect echoes the credential in its Location: followed inside
	// the grant, out of it refused; no error quotes the credential.
	r := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/in":
			http.Redirect(w, req, "/api/?t="+url.QueryEscape(req.Header.Get("Authorization")), http.StatusFound)
		case "/out":
			http.Redirect(w, req, s.URL+"/api/?t="+url.QueryEscape(req.Header.Get("Authorization")), http.StatusFound)
		case "/b64":
			fmt.Fprint(w, base64.StdEncoding.EncodeToString([]byte(req.Header.Get("Authorization"))))
		default:
			fmt.Fprint(w, "here ", req.URL.RawQuery)
		}
	}))
	defer r.Close()
	c = client(t, egress.Policy{Grants: []egress.Grant{
		{Prefix: r.URL + "/", Networks: loopback, Headers: map[string]string{"Authorization": token}},
		{Prefix: s.URL + "/", Networks: loopback},
	}})
	resp, err = do(c, "GET", r.URL+"/in", nil)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(resp.Body), "here "), string(resp.Body))
	assert.NotContains(t, string(resp.Body), "0123456789abcdef")
	resp, err = do(c, "GET", r.URL+"/b64", nil)
	require.NoError(t, err)
	assert.Equal(t, "(redacted)", string(resp.Body), "echoed in base64")
	_, err = do(c, "GET", r.URL+"/out", nil)
	require.ErrorIs(t, err, egress.ErrNotAllowed, "a redirect to another grant is out of this one")
	assert.NotContains(t, err.Error(), "0123456789abcdef")
	assert.NotContains(t, err.Error(), "Token")
}

// TestAddresses: loopback, link-local (cloud metadata), private and
// unspecified addresses are refused, checked on the address dialled
// (a name that resolves to one is refused too), unless a grant names
// the network.
func TestAddresses(t *testing.T) {
	s := echo(t)
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, u := range []string{
		s.URL + "/",                          // 127.0.0.1
		"http://localhost:" + port + "/",     // a name for it
		"http://[::1]:" + port + "/",         // IPv6 loopback
		"http://0.0.0.0:" + port + "/",       // unspecified
		"http://169.254.169.254/latest/meta", // cloud metadata
		"http://10.0.0.1:1/", "http://192.168.1.1:1/", "http://172.16.0.1:1/", "http://100.64.0.1:1/",
	} {
		c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: u}}, Timeout: 2 * time.Second})
		_, err := do(c, "GET", u, nil)
		assert.ErrorIs(t, err, egress.ErrNotAllowed, u)
		assert.ErrorContains(t, err, "not public", u)
		assert.Zero(t, c.Stats().CacheHits)
	}
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: "http://localhost:" + port + "/", Networks: loopback}}})
	_, err := do(c, "GET", "http://localhost:"+port+"/", nil)
	assert.NoError(t, err, "a grant naming the network allows it")
}

// TestBounds: a slow upstream times out, a huge response and a body that
// never ends are refused, and a call makes MaxRequests at most.
func TestBounds(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/huge":
			w.Write(make([]byte, 2<<20))
		case "/endless":
			buf := make([]byte, 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case "/trickle":
			for i := 0; r.Context().Err() == nil && i < 100; i++ {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}
	}))
	defer s.Close()
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback}}, Timeout: 300 * time.Millisecond, MaxResponse: 1 << 20, MaxRequests: 3})
	for path, want := range map[string]error{"/slow": egress.ErrTimeout, "/huge": egress.ErrTooLarge, "/endless": egress.ErrTooLarge, "/trickle": egress.ErrTimeout} {
		start := time.Now()
		_, err := do(c, "GET", s.URL+path, nil)
		assert.ErrorIs(t, err, want, path)
		assert.Less(t, time.Since(start), 3*time.Second, "%s: bounded by the 300 ms timeout", path)
	}
	call := c.NewCall()
	for i := range 4 {
		_, err := call.Do(context.Background(), egress.Request{URL: s.URL + "/huge"})
		if i < 3 {
			assert.ErrorIs(t, err, egress.ErrTooLarge)
		} else {
			assert.ErrorIs(t, err, egress.ErrNotAllowed, "the fourth request of a call")
		}
	}
}

// TestCache: GET responses are cached for the grant's time (or less when
// max-age says less; never for no-store or another status), and 100
// identical GETs at once make one upstream request.
func TestCache(t *testing.T) {
	var hits atomic.Int64
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/tenant":
			<-release
		case "/short":
			w.Header().Set("Cache-Control", "max-age=0")
		case "/nostore":
			w.Header().Set("Cache-Control", "no-store")
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		}
		fmt.Fprint(w, r.URL.Path)
	}))
	defer s.Close()
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback, CacheTTL: time.Minute}}})

	var wg sync.WaitGroup
	bodies := make([]string, 100)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := do(c, "GET", s.URL+"/tenant", nil)
			if assert.NoError(t, err) {
				bodies[i] = string(resp.Body)
			}
		}()
	}
	require.Eventually(t, func() bool { return hits.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the others reach the flight
	close(release)
	wg.Wait()
	assert.Equal(t, int64(1), hits.Load(), "100 identical GETs at once, one upstream request")
	for _, b := range bodies {
		assert.Equal(t, "/tenant", b)
	}
	resp, err := do(c, "GET", s.URL+"/tenant", nil)
	require.NoError(t, err)
	assert.True(t, resp.Cached)
	assert.Equal(t, int64(1), hits.Load())

	for _, path := range []string{"/short", "/nostore", "/missing"} {
		before := hits.Load()
		do(c, "GET", s.URL+path, nil)
		do(c, "GET", s.URL+path, nil)
		assert.Equal(t, before+2, hits.Load(), "%s is not cached", path)
	}
	before := hits.Load()
	do(c, "POST", s.URL+"/tenant", nil)
	do(c, "GET", s.URL+"/tenant", http.Header{"Authorization": {"Token mine"}})
	assert.Equal(t, before+2, hits.Load(), "a POST, and a GET with the module's own credential, go upstream")
	st := c.Stats()
	assert.Equal(t, hits.Load(), st.Requests)
	assert.Positive(t, st.CacheHits)
	assert.Positive(t, st.Waited)
}

// TestSharedRequestOutlivesItsFirstCaller: a GET shared by two callers is
// nobody's own: when the caller that started it runs out of time, the
// other still gets the answer (and the cache keeps it).
func TestSharedRequestOutlivesItsFirstCaller(t *testing.T) {
	var hits atomic.Int64
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		fmt.Fprint(w, "tenant")
	}))
	defer s.Close()
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback, CacheTTL: time.Minute}}})
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.NewCall().Do(first, egress.Request{Method: "GET", URL: s.URL + "/t"})
		firstErr <- err
	}()
	require.Eventually(t, func() bool { return hits.Load() == 1 }, 5*time.Second, time.Millisecond)
	second := make(chan *egress.Response, 1)
	go func() {
		resp, err := do(c, "GET", s.URL+"/t", nil)
		assert.NoError(t, err)
		second <- resp
	}()
	time.Sleep(20 * time.Millisecond) // let the second caller join the flight
	cancel()
	err := <-firstErr
	assert.ErrorIs(t, err, egress.ErrTimeout, "the first caller ran out of time")
	close(release)
	resp := <-second
	require.NotNil(t, resp)
	assert.Equal(t, "tenant", string(resp.Body))
	assert.Equal(t, int64(1), hits.Load(), "one upstream request")
	resp, err = do(c, "GET", s.URL+"/t", nil)
	require.NoError(t, err)
	assert.True(t, resp.Cached, "the shared answer is cached")
}

// TestCacheBound: the cache keeps CacheBytes at most, the least recently
// used responses out first.
func TestCacheBound(t *testing.T) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(make([]byte, 10<<10))
	}))
	defer s.Close()
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback, CacheTTL: time.Minute}}, CacheBytes: 35 << 10})
	get := func(p string) {
		resp, err := do(c, "GET", s.URL+p, nil)
		require.NoError(t, err)
		io.Discard.Write(resp.Body)
	}
	get("/a")
	get("/b")
	get("/c") // three fit
	get("/a") // a hit: a is the most recent
	require.Equal(t, int64(3), hits.Load())
	get("/d") // b, the least recently used, goes
	get("/a")
	get("/c")
	assert.Equal(t, int64(4), hits.Load(), "a and c were kept")
	get("/b")
	assert.Equal(t, int64(5), hits.Load(), "b was evicted")
}

func TestErrorsAreTyped(t *testing.T) {
	var e *egress.Error
	_, err := do(client(t, egress.Policy{}), "GET", "http://example.org/", nil)
	require.True(t, errors.As(err, &e))
	assert.Equal(t, egress.ErrNotAllowed, e.Kind)
}

// TestResponseJSON: a cached response's body is indexed once, for every
// hit; its headers as JSON too. What it takes counts in the cache's bound:
// responses whose indexes fill it are evicted like bodies that do.
func TestResponseJSON(t *testing.T) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-B", "2")
		w.Header().Add("x-a", "1")
		w.Header()["Date"] = nil // the same headers every time
		if r.URL.Path == "/html" {
			io.WriteString(w, "<html>not JSON</html>")
			return
		}
		// 4,000 values in 8 KiB: an index of about 80 KiB.
		io.WriteString(w, "["+strings.Repeat("0,", 3999)+"0]")
	}))
	defer s.Close()
	c := client(t, egress.Policy{Grants: []egress.Grant{{Prefix: s.URL + "/", Networks: loopback, CacheTTL: time.Minute}}, CacheBytes: 150 << 10})
	get := func(p string) *egress.Response {
		t.Helper()
		resp, err := do(c, "GET", s.URL+p, nil)
		require.NoError(t, err)
		return resp
	}

	first := get("/a") // the miss: its own index, made on use
	ix, err := first.JSON()
	require.NoError(t, err)
	assert.Equal(t, 4001, ix.Nodes())
	hit := get("/a")
	require.True(t, hit.Cached)
	ix1, err := hit.JSON()
	require.NoError(t, err)
	ix2, err := get("/a").JSON()
	require.NoError(t, err)
	assert.Same(t, ix1, ix2, "every hit reads the index made once")
	v, _ := ix1.Lookup([]byte("/3999"), nil)
	assert.Equal(t, "0", string(v))
	assert.Equal(t, `{"content-type":"text/plain; charset=utf-8","x-a":"1","x-b":"2"}`, string(hit.HeaderJSON()))
	assert.Equal(t, &hit.HeaderJSON()[0], &get("/a").HeaderJSON()[0], "made once")

	_, err = get("/html").JSON()
	assert.Error(t, err, "not JSON")

	// /a's index (about 80 KiB) and /b's body fit in 150 KiB; /b's index
	// too would not: /a, the least recently used, goes.
	require.Equal(t, int64(2), hits.Load())
	_, err = get("/b").JSON()
	require.NoError(t, err)
	_, err = get("/b").JSON()
	require.NoError(t, err)
	require.Equal(t, int64(3), hits.Load())
	get("/b")
	assert.Equal(t, int64(3), hits.Load(), "b is kept")
	get("/a")
	assert.Equal(t, int64(4), hits.Load(), "a was evicted for b's index")
}
