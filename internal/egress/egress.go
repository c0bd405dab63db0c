// Package egress makes the HTTP requests a module asks the host for:
// only to the URL prefixes the operator granted it, with credentials the
// host injects and the module never sees, to public addresses unless a
// grant names a private network, bounded in time and size, with GET
// responses cached and concurrent identical GETs sent upstream once.
//
// One Client serves one module: its grants, its cache, its counts.
package egress

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/singleflight"
)

// The classes of a failed request; a *Error matches one with errors.Is.
var (
	// ErrNotAllowed: no grant covers the URL (or a redirect's), the
	// scheme is not http or https, the address dialled is not public and
	// no grant names its network, or the call made its MaxRequests.
	ErrNotAllowed = errors.New("egress: not allowed")
	// ErrTimeout: the request did not finish within its time.
	ErrTimeout = errors.New("egress: timeout")
	// ErrTooLarge: the response's body is over MaxResponse.
	ErrTooLarge = errors.New("egress: response too large")
	// ErrUpstream: the request failed on the way (connection refused,
	// reset, a bad TLS certificate, too many redirects).
	ErrUpstream = errors.New("egress: upstream error")
)

// Error is a failed request: its class (Kind) and a reason that holds no
// injected credential.
type Error struct {
	Kind   error
	Reason string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Reason }
func (e *Error) Unwrap() error { return e.Kind }

// Grant lets a module call the URLs under Prefix.
type Grant struct {
	// Prefix is scheme://host[:port]/path: a URL is under it when its
	// scheme, host and port are the same and its path is the prefix's
	// path or goes on from it past a "/" (https://h/api covers /api and
	// /api/x, not /apix). The port defaults to the scheme's.
	Prefix string
	// Headers are set on every request under Prefix, over any header of
	// the same name the module set; their values are credentials: the
	// module never sees them.
	Headers map[string]string
	// Networks are the addresses other than public ones that requests
	// under Prefix may reach (e.g. 10.0.0.0/8 for a NetBox on a private
	// network). Loopback, link-local (cloud metadata at 169.254.169.254
	// included), private, unspecified and multicast addresses are refused
	// unless a grant's Networks holds them.
	Networks []netip.Prefix
	// CacheTTL is how long a GET response stays cached (less when the
	// response's Cache-Control max-age says less; not at all for
	// no-store, or when 0).
	CacheTTL time.Duration
}

// Policy is one module's grants and bounds.
type Policy struct {
	Grants []Grant
	// Timeout bounds one request, redirects included (default 5s).
	Timeout time.Duration
	// MaxResponse bounds a response's body (default 1 MiB).
	MaxResponse int64
	// MaxRequests bounds the requests of one call (default 8); a cached
	// answer counts too.
	MaxRequests int
	// CacheBytes bounds the cache; the least recently used responses go
	// first (default 4 MiB).
	CacheBytes int64
}

// Request is what a module asks for.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Stats are a client's counts.
type Stats struct {
	Requests  int64         // sent upstream
	CacheHits int64         // answered from the cache
	Waited    time.Duration // time spent waiting for upstream, in all
}

// Client makes one module's requests. It is safe for concurrent use.
type Client struct {
	policy  Policy
	grants  []grant
	http    *http.Client
	cache   *cache
	flight  singleflight.Group
	secrets [][]byte // the injected values, scrubbed from what comes back

	requests, hits, waited atomic.Int64
}

type grant struct {
	Grant
	scheme, host, port, path string
}

// New makes a client for policy. A grant whose prefix is not an http or
// https URL with a host is an error naming it.
func New(policy Policy) (*Client, error) {
	if policy.Timeout <= 0 {
		policy.Timeout = 5 * time.Second
	}
	if policy.MaxResponse <= 0 {
		policy.MaxResponse = 1 << 20
	}
	if policy.MaxRequests <= 0 {
		policy.MaxRequests = 8
	}
	if policy.CacheBytes <= 0 {
		policy.CacheBytes = 4 << 20
	}
	c := &Client{policy: policy, cache: newCache(policy.CacheBytes)}
	for _, g := range policy.Grants {
		u, err := url.Parse(g.Prefix)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("egress: grant %q: want http(s)://HOST[:PORT][/PATH]", g.Prefix)
		}
		gr := grant{Grant: g, scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: portOf(u), path: u.EscapedPath()}
		c.grants = append(c.grants, gr)
		for _, v := range g.Headers {
			c.secrets = append(c.secrets, encodings(v)...)
		}
	}
	dialer := &net.Dialer{Timeout: policy.Timeout, Control: c.checkAddress}
	c.http = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would dial for us, past the address check
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   policy.Timeout,
			ResponseHeaderTimeout: policy.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return &Error{ErrUpstream, "more than 5 redirects"}
			}
			g := c.grantFor(req.URL)
			if g == nil || g != c.grantFor(via[0].URL) {
				return &Error{ErrNotAllowed, "a redirect out of the grant, to " + redactURL(req.URL)}
			}
			return nil
		},
	}
	return c, nil
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// grantFor is the grant that covers u, or nil.
func (c *Client) grantFor(u *url.URL) *grant {
	if u.Scheme != "http" && u.Scheme != "https" || u.User != nil {
		return nil
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil // a server would resolve it, maybe out of the prefix
		}
	}
	host, port, path := strings.ToLower(u.Hostname()), portOf(u), u.EscapedPath()
	if path == "" {
		path = "/"
	}
	for i := range c.grants {
		g := &c.grants[i]
		if g.scheme != u.Scheme || g.host != host || g.port != port {
			continue
		}
		if g.path == "" || g.path == "/" || path == g.path ||
			(strings.HasPrefix(path, g.path) && (strings.HasSuffix(g.path, "/") || path[len(g.path)] == '/')) {
			return g
		}
	}
	return nil
}

// checkAddress runs for every connection, on the address actually
// dialled (after DNS): a name that resolves to a private address is
// refused like the address itself.
func (c *Client) checkAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{ErrNotAllowed, "an address that is not an IP: " + address}
	}
	ip := ap.Addr().Unmap()
	if public(ip) {
		return nil
	}
	for _, g := range c.grants {
		for _, n := range g.Networks {
			if n.Contains(ip) {
				return nil
			}
		}
	}
	return &Error{ErrNotAllowed, "the address " + ip.String() + " is not public, and no grant names its network"}
}

// public reports whether ip is a public unicast address.
func public(ip netip.Addr) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate() &&
		!cgnat.Contains(ip) && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
}

// cgnat is the carrier-grade NAT range (RFC 6598), not routed publicly.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Call counts the requests of one call of a module, against
// Policy.MaxRequests. It is not safe for concurrent use (a call is one
// guest thread).
type Call struct {
	c *Client
	n int
	// stats are this call's: the requests it sent upstream (or shared
	// with a concurrent identical one), its cache hits, and the time it
	// waited for upstream.
	stats Stats
	// from and to bound the time of the call (its start and its
	// deadline, in monotonic() nanoseconds; to is 0 when unknown):
	// Cached decides most hits' freshness from them, without a clock
	// read.
	from, to int64
}

// NewCall starts the count for one call.
func (c *Client) NewCall() *Call { return &Call{c: c} }

// Reset starts the count for a new call of c, reusing call (a pooled
// instance keeps one Call and allocates none per guest call).
func (call *Call) Reset(c *Client) { *call = Call{c: c} }

// Within tells call that it runs between from and to (a guest call's
// start and deadline), so that Cached need not read the clock for an
// entry that stays fresh until to, or went stale before from. A result
// the call returns after to does not stand (the call has failed), so the
// bound is safe to trust.
func (call *Call) Within(from, to time.Time) {
	call.from, call.to = int64(from.Sub(epoch)), int64(to.Sub(epoch))
	if call.to <= call.from { // no window to speak of: the clock decides
		call.from, call.to = 0, 0
	}
}

// Stats returns the call's counts so far.
func (call *Call) Stats() Stats { return call.stats }

// Do makes the request. The response's headers and body have every
// injected credential replaced.
func (call *Call) Do(ctx context.Context, r Request) (*Response, error) {
	start := time.Now()
	resp, err := call.do(ctx, r)
	switch {
	case resp != nil && resp.Cached:
		call.stats.CacheHits++
	case err == nil || !errors.Is(err, ErrNotAllowed):
		call.stats.Requests++
		call.stats.Waited += time.Since(start)
	}
	return resp, err
}

func (call *Call) do(ctx context.Context, r Request) (*Response, error) {
	c := call.c
	if call.n >= c.policy.MaxRequests {
		return nil, &Error{ErrNotAllowed, fmt.Sprintf("more than %d requests in one call", c.policy.MaxRequests)}
	}
	call.n++
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, &Error{ErrNotAllowed, "not a URL"}
	}
	g := c.grantFor(u)
	if g == nil {
		return nil, &Error{ErrNotAllowed, "no grant covers " + redactURL(u)}
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet || g.CacheTTL <= 0 || hasAuth(r.Header) {
		return c.send(ctx, g, method, u, r)
	}
	// The key is the URL as the module wrote it, so that Cached can look
	// it up without parsing it again: an entry exists only for a URL
	// this client's grants allowed.
	key := r.URL
	if resp, ok := c.cache.get(key); ok {
		c.hits.Add(1)
		return resp, nil
	}
	// The request is shared by every caller that asks meanwhile, so it
	// is nobody's own: it runs to its end under the policy's timeout
	// (fetch), whoever leaves, and each caller waits no longer than its
	// own context allows. The first caller's time limit does not cut
	// the others' answer short, and the answer is cached for the next.
	shared := context.WithoutCancel(ctx)
	ch := c.flight.DoChan(key, func() (any, error) {
		if resp, ok := c.cache.get(key); ok {
			return resp, nil
		}
		resp, ttl, err := c.fetch(shared, g, method, u, r)
		if err == nil && ttl > 0 {
			c.cache.put(key, resp, ttl)
		}
		return resp, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Response), nil
	case <-ctx.Done():
		return nil, &Error{ErrTimeout, "the call ended while waiting for " + redactURL(u)}
	}
}

// Cached answers a GET of url from the cache, if it holds the response,
// the way Do would: it counts against the call's MaxRequests and as a
// cache hit. It allocates nothing, so that a module's repeated lookup
// costs about a map lookup; on false, the caller makes the request with
// Do. method empty is GET. Only a request without headers comes here: Do
// decides on the others (a module's own credential is never answered
// from the cache); like Do, it keys a GET by its URL alone. The response
// is shared: read it, never change it.
func (call *Call) Cached(method, url []byte) (*Response, bool) {
	c := call.c
	if c == nil || call.n >= c.policy.MaxRequests || !(len(method) == 0 || string(method) == http.MethodGet) {
		return nil, false
	}
	resp, ok := c.cache.lookup(url, call.from, call.to)
	if !ok {
		return nil, false
	}
	call.n++
	call.stats.CacheHits++
	c.hits.Add(1)
	return resp, true
}

// hasAuth reports whether the module set a credential of its own: such a
// request is not shared through the cache.
func hasAuth(h http.Header) bool {
	return h.Get("Authorization") != "" || h.Get("Cookie") != ""
}

func (c *Client) send(ctx context.Context, g *grant, method string, u *url.URL, r Request) (*Response, error) {
	resp, _, err := c.fetch(ctx, g, method, u, r)
	return resp, err
}

// fetch sends the request upstream and returns the response and how long
// it may be cached.
func (c *Client) fetch(ctx context.Context, g *grant, method string, u *url.URL, r Request) (*Response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, 0, &Error{ErrNotAllowed, "a request that cannot be made: " + c.scrub(err.Error())}
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, v := range g.Headers {
		req.Header.Set(k, v) // over the module's own
	}
	start := time.Now()
	c.requests.Add(1)
	defer func() { c.waited.Add(int64(time.Since(start))) }()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, c.failure(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.policy.MaxResponse+1))
	if err != nil {
		return nil, 0, c.failure(ctx, err)
	}
	if int64(len(body)) > c.policy.MaxResponse {
		return nil, 0, &Error{ErrTooLarge, fmt.Sprintf("the response's body is over %d bytes", c.policy.MaxResponse)}
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header.Clone(), Body: c.scrubBytes(body), made: new(made)}
	for k, vs := range out.Header {
		for i, v := range vs {
			out.Header[k][i] = c.scrub(v)
		}
	}
	return out, cacheTTL(g.CacheTTL, resp), nil
}

// failure classes a failed round trip, with no credential in its words.
func (c *Client) failure(ctx context.Context, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e // a redirect or an address refused
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &Error{ErrTimeout, fmt.Sprintf("no answer within %v", c.policy.Timeout)}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{ErrTimeout, fmt.Sprintf("no answer within %v", c.policy.Timeout)}
	}
	return &Error{ErrUpstream, c.scrub(err.Error())}
}

// cacheTTL is how long resp may be cached under a grant's ttl.
func cacheTTL(ttl time.Duration, resp *http.Response) time.Duration {
	if ttl <= 0 || resp.StatusCode != http.StatusOK {
		return 0
	}
	for _, d := range strings.Split(resp.Header.Get("Cache-Control"), ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache" || d == "private":
			return 0
		case strings.HasPrefix(d, "max-age="):
			var s int64
			if _, err := fmt.Sscanf(d, "max-age=%d", &s); err == nil {
				ttl = min(ttl, time.Duration(s)*time.Second)
			}
		}
	}
	return ttl
}

// encodings are the forms in which an upstream commonly echoes a
// credential v: as it is, escaped for a URL's query or path, as a JSON
// string and in base64. An upstream that transforms it otherwise is
// trusted with it anyway: the operator granted it the credential.
func encodings(v string) [][]byte {
	if v == "" {
		return nil
	}
	j, _ := json.Marshal(v)
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), string(j[1 : len(j)-1]),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
	var out [][]byte
	for _, f := range forms {
		if !slices.ContainsFunc(out, func(b []byte) bool { return string(b) == f }) {
			out = append(out, []byte(f))
		}
	}
	return out
}

// scrub replaces every injected credential in s.
func (c *Client) scrub(s string) string {
	for _, v := range c.secrets {
		s = strings.ReplaceAll(s, string(v), "(redacted)")
	}
	return s
}

func (c *Client) scrubBytes(b []byte) []byte {
	for _, v := range c.secrets {
		if bytes.Contains(b, v) {
			b = bytes.ReplaceAll(b, v, []byte("(redacted)"))
		}
	}
	return b
}

// redactURL is u without its query, for messages: a query may hold a
// key.
func redactURL(u *url.URL) string {
	v := *u
	v.RawQuery, v.Fragment, v.User = "", "", nil
	return v.String()
}

// Stats returns the client's counts.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), CacheHits: c.hits.Load(), Waited: time.Duration(c.waited.Load())}
}

// Close drops the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// cache holds GET responses by URL, least recently used out first, up to
// a size in bytes.
type cache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	entries map[string]*entry
	head    entry // a ring: head.next is the most recently used
}

type entry struct {
	key        string
	resp       *Response // Cached set: handed out as it is
	until      int64     // when it goes stale, in monotonic() nanoseconds
	size       int64
	prev, next *entry
}

// epoch is where monotonic counts from.
var epoch = time.Now()

// monotonic returns the nanoseconds since epoch on the monotonic clock:
// one clock read, where time.Now reads the wall clock too. A cache hit
// reads it once; on a virtual machine each read can cost tens of
// nanoseconds, a share of a hit's whole cost.
func monotonic() int64 { return int64(time.Since(epoch)) }

func newCache(max int64) *cache {
	c := &cache{max: max, entries: map[string]*entry{}}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

func (c *cache) unlink(e *entry) { e.prev.next, e.next.prev = e.next, e.prev }

func (c *cache) front(e *entry) {
	e.next, e.prev = c.head.next, &c.head
	c.head.next.prev = e
	c.head.next = e
}

func (c *cache) get(key string) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hit(c.entries[key], 0, 0)
}

// lookup is get for a key in bytes, with no copy of it, at a time between
// from and to (monotonic() nanoseconds; to 0 when unknown: the clock
// decides).
func (c *cache) lookup(key []byte, from, to int64) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hit(c.entries[string(key)], from, to)
}

// hit returns e's response if e is there and fresh at a time between from
// and to (see lookup), and makes it the most recently used; c.mu is held.
// Only an entry that goes stale between from and to costs a clock read.
func (c *cache) hit(e *entry, from, to int64) (*Response, bool) {
	if e == nil {
		return nil, false
	}
	if to == 0 || (from <= e.until && e.until < to) {
		if monotonic() > e.until {
			c.remove(e)
			return nil, false
		}
	} else if from > e.until {
		c.remove(e)
		return nil, false
	}
	if c.head.next != e {
		c.unlink(e)
		c.front(e)
	}
	return e.resp, true
}

// grow adds n bytes to entry e, made after it was put (its response's
// index), and evicts the least recently used entries while the cache is
// over its bound: e among them, when it alone is.
func (c *cache) grow(e *entry, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[e.key] != e {
		return // evicted meanwhile: nothing left to count
	}
	e.size += n
	c.size += n
	for c.size > c.max && c.head.prev != &c.head {
		c.remove(c.head.prev)
	}
}

func (c *cache) remove(e *entry) {
	c.unlink(e)
	delete(c.entries, e.key)
	c.size -= e.size
}

func (c *cache) put(key string, resp *Response, ttl time.Duration) {
	size := int64(len(key) + len(resp.Body) + 256)
	for k, vs := range resp.Header {
		size += int64(len(k))
		for _, v := range vs {
			size += int64(len(v))
		}
	}
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.remove(old)
	}
	for c.size+size > c.max {
		c.remove(c.head.prev) // the least recently used
	}
	// A copy marked Cached, made once: every hit hands out the same one,
	// and what is made from it (its index, its headers as JSON) is made
	// once for them all and counted in the entry's size.
	hit := *resp
	hit.Cached = true
	e := &entry{key: key, resp: &hit, until: monotonic() + int64(ttl), size: size}
	hit.made = &made{grow: func(n int64) { c.grow(e, n) }}
	c.entries[key] = e
	c.front(e)
	c.size += size
}
