package main

// The lookups section (issue 17): W1 plus a module that looks the site's
// tenant up over HTTP (guests/lookup/tenant.c, what the NetBox tenant
// example does) against a local server serving a recorded NetBox tenant,
// cache cold and warm; the same module reading the body's name and slug
// with field reads of the response instead of copying and scanning it;
// the same module with a constant body in place of its HTTP call; and 100
// concurrent events asking for the same tenant.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook"
)

const (
	tenantModule       = "guests/lookup/tenant.wasm"
	tenantFieldsModule = "guests/lookup/tenant_fields.wasm"
	tenantConstModule  = "guests/lookup/tenant_const.wasm"
	tenantScanModule   = "guests/lookup/tenant_scan.wasm"
	tenantRecorded     = "guests/lookup/tenant.json"
	// tenantTokenEnv holds the token the grant injects: the settings file
	// names the variable, as an operator's does.
	tenantTokenEnv = "WASMHOOK_BENCH_NETBOX_TOKEN"
	tenantToken    = "0123456789abcdef0123456789abcdef01234567"
	// tenantInfo is what the module adds for the recorded tenant.
	tenantInfo = `"tenant_info": {"name": "Helvetia Networks AG", "slug": "helvetia-networks"}`
)

// tenantServer is a NetBox-compatible tenant endpoint on 127.0.0.1: GET
// /api/tenancy/tenants/ID/ answers the recorded tenant with ID in it, to a
// request that carries the token. It counts the requests per ID.
type tenantServer struct {
	*httptest.Server
	recorded string
	// delay holds every answer that long (the coalescing check: the
	// events that come while the first request is out must wait for it).
	delay atomic.Int64
	mu    sync.Mutex
	count map[string]int
	total atomic.Int64
}

func newTenantServer() (*tenantServer, error) {
	b, err := os.ReadFile(tenantRecorded)
	if err != nil {
		return nil, err
	}
	s := &tenantServer{recorded: strings.TrimSpace(string(b)), count: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, nil
}

func (s *tenantServer) serve(w http.ResponseWriter, r *http.Request) {
	s.total.Add(1)
	id, ok := strings.CutPrefix(r.URL.Path, "/api/tenancy/tenants/")
	id, ok2 := strings.CutSuffix(id, "/")
	if _, err := strconv.ParseUint(id, 10, 64); !ok || !ok2 || err != nil || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Token "+tenantToken {
		http.Error(w, `{"detail":"Authentication credentials were not provided."}`, http.StatusForbidden)
		return
	}
	s.mu.Lock()
	s.count[id]++
	s.mu.Unlock()
	if d := time.Duration(s.delay.Load()); d > 0 {
		time.Sleep(d)
	}
	body := strings.Replace(s.recorded, `"id":5,`, `"id":`+id+`,`, 1)
	body = strings.ReplaceAll(body, "/tenants/5/", "/tenants/"+id+"/")
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

func (s *tenantServer) requests(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[id]
}

// tenantEvents makes W1's event with another tenant id each time, in one
// reused buffer: every event of the cold row misses the cache.
type tenantEvents struct {
	prefix, suffix []byte // W1's data around the tenant's id
	ev             wasmhook.Event
	next           int
}

func newTenantEvents(ev *wasmhook.Event, first int) (*tenantEvents, error) {
	const at = `"tenant": {"id": 5`
	i := bytes.Index(ev.Data, []byte(at))
	if i < 0 {
		return nil, fmt.Errorf("W1's data has no %s", at)
	}
	t := &tenantEvents{prefix: ev.Data[:i+len(at)-1], suffix: ev.Data[i+len(at):], ev: *ev, next: first}
	t.ev.Data = make([]byte, 0, len(ev.Data)+24)
	return t, nil
}

func (t *tenantEvents) nextEvent() *wasmhook.Event {
	d := append(t.ev.Data[:0], t.prefix...)
	d = strconv.AppendInt(d, int64(t.next), 10)
	t.ev.Data = append(d, t.suffix...)
	t.next++
	return &t.ev
}

// coldSystem enriches a new tenant's event each time.
type coldSystem struct {
	s      *reportingSystem
	events *tenantEvents
}

func (c *coldSystem) enrich(ctx context.Context, _ *wasmhook.Event) ([]byte, error) {
	return c.s.enrich(ctx, c.events.nextEvent())
}

func (c *coldSystem) close(ctx context.Context) error { return c.s.close(ctx) }

// lookupSettings grants the tenant module (cb4) the server's API, with
// the token from the environment and the server's loopback network.
func lookupSettings(base string) string {
	return fmt.Sprintf(`modules:
  cb4:
    config: {base: %q}
    http:
      grants:
        - prefix: %s/api/
          headers: {Authorization: "Token ${%s}"}
          networks: [127.0.0.1/32]
          cache_ttl: 10m
`, base, base, tenantTokenEnv)
}

// withTenant is W1's expected context with the tenant module's member.
func withTenant(expected []byte) []byte {
	e := bytes.TrimSpace(expected)
	return append(append(bytes.Clone(e[:len(e)-1]), ", "+tenantInfo...), '}')
}

// lookupReport checks that the tenant module's report (the fourth) says
// what the cache did.
func lookupReport(s *reportingSystem, requests, hits int) error {
	r := s.res.Reports[3]
	if r.Requests != requests || r.CacheHits != hits {
		return fmt.Errorf("%s: %d requests, %d cache hits; want %d and %d", r.Callback, r.Requests, r.CacheHits, requests, hits)
	}
	return nil
}

func runLookups(ctx context.Context, w io.Writer, tmp string, rounds int, ev *wasmhook.Event) error {
	ref, expected, err := w1Answers(ctx, ev)
	if err != nil {
		return err
	}
	srv, err := newTenantServer()
	if err != nil {
		return err
	}
	defer srv.Close()
	defer os.Setenv(tenantTokenEnv, os.Getenv(tenantTokenEnv))
	os.Setenv(tenantTokenEnv, tenantToken)

	w1Mods := map[string]string{"cb1": "guests/wasmhook/cb1.wasm", "cb2": "guests/wasmhook/cb2.wasm", "cb3": "guests/wasmhook/cb3.wasm"}
	with := func(cb4 string) map[string]string {
		m := map[string]string{"cb4": cb4}
		for k, v := range w1Mods {
			m[k] = v
		}
		return m
	}
	settings := lookupSettings(srv.URL)
	open := func(name string, mods map[string]string, settings string, watch ...int) (*reportingSystem, error) {
		dir, err := dirOf(tmp, "lookups-"+name, mods, settings)
		if err != nil {
			return nil, err
		}
		s, err := newReporting(ctx, dir, wasmhook.Options{}, watch...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return s, nil
	}
	w1, err := open("w1", w1Mods, "", 2)
	if err != nil {
		return err
	}
	defer w1.close(ctx)
	warm, err := open("warm", with(tenantModule), settings, 3)
	if err != nil {
		return err
	}
	defer warm.close(ctx)
	fields, err := open("fields", with(tenantFieldsModule), settings, 3)
	if err != nil {
		return err
	}
	defer fields.close(ctx)
	coldReporting, err := open("cold", with(tenantModule), settings, 3)
	if err != nil {
		return err
	}
	events, err := newTenantEvents(ev, 1_000_000)
	if err != nil {
		return err
	}
	cold := &coldSystem{s: coldReporting, events: events}
	defer cold.close(ctx)
	constant, err := open("const", with(tenantConstModule), fmt.Sprintf("modules:\n  cb4: {config: {base: %q}}\n", srv.URL), 3)
	if err != nil {
		return err
	}
	defer constant.close(ctx)
	// W1 with SDK-written callbacks (cb2 = examples/c/site_status, field
	// reads): the W1 that plugin authors write, whose events' inputs are
	// indexed in validation with or without the lookup module.
	sdkMods := map[string]string{"cb1": "guests/sdk/cb1.wasm", "cb2": "../examples/c/site_status.wasm", "cb3": "guests/sdk/cb3.wasm"}
	sdk, err := open("sdk", sdkMods, "", 2)
	if err != nil {
		return err
	}
	defer sdk.close(ctx)
	sdkMods["cb4"] = tenantModule
	sdkWarm, err := open("sdk-warm", sdkMods, settings, 3)
	if err != nil {
		return err
	}
	defer sdkWarm.close(ctx)
	sdkMods["cb4"] = tenantFieldsModule
	sdkFields, err := open("sdk-fields", sdkMods, settings, 3)
	if err != nil {
		return err
	}
	defer sdkFields.close(ctx)
	empty, err := open("empty", with("../testdata/wat/null_output.wasm"), "", 3)
	if err != nil {
		return err
	}
	defer empty.close(ctx)
	scan, err := open("scan", with(tenantScanModule), settings, 3)
	if err != nil {
		return err
	}
	defer scan.close(ctx)

	// The checks: every payload as W1's reference with the tenant's
	// member, and each lookup answered as its row says.
	if err := checkAgainst(ctx, "W1", w1, ev, ref, expected); err != nil {
		return err
	}
	want := withTenant(expected)
	for i := range 3 {
		for _, c := range []struct {
			name           string
			s              system
			rep            *reportingSystem
			requests, hits int
		}{{"warm", warm, warm, 0, 1}, {"fields", fields, fields, 0, 1}, {"cold", cold, coldReporting, 1, 0}, {"constant", constant, constant, 0, 0},
			{"scan", scan, scan, 0, 1}, {"SDK-written W1, warm", sdkWarm, sdkWarm, 0, 1}, {"SDK-written W1, fields", sdkFields, sdkFields, 0, 1}} {
			if c.hits == 1 && i == 0 {
				c.requests, c.hits = 1, 0 // the first fills the cache
			}
			p, err := c.s.enrich(ctx, ev)
			if err == nil {
				err = checkContext(p, want)
			}
			if err == nil {
				err = lookupReport(c.rep, c.requests, c.hits)
			}
			if err != nil {
				return fmt.Errorf("W1 + lookup, %s: %w", c.name, err)
			}
		}
	}
	if err := checkAgainst(ctx, "W1 + an empty callback", empty, ev, ref, expected); err != nil {
		return err
	}
	if err := checkAgainst(ctx, "SDK-written W1", sdk, ev, ref, expected); err != nil {
		return err
	}
	if n := srv.requests("5"); n != 5 {
		return fmt.Errorf("tenant 5 was asked for %d times upstream, want 5 (the first event of each warm row)", n)
	}
	coal, err := checkCoalescing(ctx, tmp, srv, settings, with(tenantModule), ev, want)
	if err != nil {
		return err
	}
	w1.means()
	warm.means()
	fields.means()
	coldReporting.means()
	constant.means()
	scan.means()
	empty.means()
	sdk.means()
	sdkWarm.means()
	sdkFields.means()

	serial := func(s system) func() (timing, error) {
		return func() (timing, error) { return timeSerial(ctx, s, ev) }
	}
	rows := []*benchRow{
		{label: "W1 alone (cb1, cb2, cb3: C by hand)", run: serial(w1), extra: w1.means},
		{label: "W1 + lookup, cache warm (every event hits)", run: serial(warm), extra: warm.means},
		{label: "W1 + lookup, cache cold (every event another tenant: a request to the local server)", run: serial(cold), extra: coldReporting.means},
		{label: "W1 + the same module with a constant body in place of its HTTP call", run: serial(constant), extra: constant.means},
		{label: "W1 + lookup, cache warm, the module finding the id by scanning its input instead of a field read", run: serial(scan), extra: scan.means},
		{label: "control: W1 + a fourth callback that does nothing (testdata/wat/null_output: outputs null)", run: serial(empty), extra: empty.means},
		{label: "W1, SDK-written callbacks (cb2 = examples/c/site_status: field reads) alone", run: serial(sdk), extra: sdk.means},
		{label: "W1, SDK-written callbacks + lookup, cache warm", run: serial(sdkWarm), extra: sdkWarm.means},
		{label: "W1 + lookup, cache warm, the module reading name and slug with field reads of the response (guests/lookup/tenant_fields: no copy, no scan)", run: serial(fields), extra: fields.means},
		{label: "W1, SDK-written callbacks + that module, cache warm", run: serial(sdkFields), extra: sdkFields.means},
	}
	if rounds == 0 { // the checks alone (TestSections)
		if coal != 1 {
			return fmt.Errorf("100 concurrent events asking for the same tenant made %d upstream requests, want 1", coal)
		}
		return nil
	}
	upstream0 := srv.total.Load()
	load0 := loadAverage()
	if err := runRows("lookups", rounds, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmachine: %d CPUs (%s), GOMAXPROCS %d, %s %s/%s; wazero %s; load average (1, 5, 15 min) %s before timing, %s after\n",
		goruntime.NumCPU(), cpuModel(), goruntime.GOMAXPROCS(0), goruntime.Version(), goruntime.GOOS, goruntime.GOARCH,
		depVersion("github.com/tetratelabs/wazero"), load0, loadAverage())
	base, hot, miss, konst, hotScan, none, sdkBase, sdkHot, hotFields, sdkHotFields := rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6], rows[7], rows[8], rows[9]
	fmt.Fprintf(w, "\nLookups: W1 EnrichInto plus cb4 = guests/lookup/tenant.c (reads data.tenant.id, GETs the tenant from a NetBox-shaped server on 127.0.0.1 under a grant that injects the token, picks name and slug out of a %d-byte body); %d rounds, median, one goroutine. \"own call\" is the last callback's time as its report measures it (cb3 for W1 alone, cb4 otherwise). %d requests reached the server while timing.\n\n",
		len(srv.recorded), rounds, srv.total.Load()-upstream0)
	printRows(w, rows, func(r *benchRow) string {
		b, what := base, "W1's"
		if r == sdkHot || r == sdkHotFields {
			b, what = sdkBase, "SDK-written W1's"
		}
		if r == b || r == sdkBase {
			return "1.00x"
		}
		return fmt.Sprintf("%.2fx %s time (%s wall, %s CPU)", r.ns()/b.ns(), what, signedNs(r.ns()-b.ns()), signedNs(r.cpu()-b.cpu()))
	}, "own call")
	fmt.Fprintf(w, "\n  where the warm row's time over W1 goes: a fourth callback (the control, less W1) %s wall; the module's own work (constant body, less the control: its field read, picking name and slug out of the body) %s; the lookup itself (warm, less the constant body) %s wall, %s CPU. A miss (cold, less warm): %s wall\n",
		signedNs(none.ns()-base.ns()), signedNs(konst.ns()-none.ns()), signedNs(hot.ns()-konst.ns()), signedNs(hot.cpu()-konst.cpu()), fmtNs(miss.ns()-hot.ns()))
	fmt.Fprintln(w, "\ntargets (wall time, and CPU time):")
	mark := func(ok bool) string {
		if ok {
			return "MET "
		}
		return "MISS"
	}
	// What a row adds to its W1 is at least the module's own call: the
	// totals of two rows, measured apart, move by more than a microsecond
	// from run to run, and must not make a target read met.
	adds := func(what string, r, b *benchRow) {
		addWall, addCPU, own := r.ns()-b.ns(), r.cpu()-b.cpu(), r.extraMedian(0)
		fmt.Fprintf(w, "  %s the warm cache adds at most 1 µs per event to %s: %s wall, %s CPU, the module's own call %s\n",
			mark(addWall <= 1000 && addCPU <= 1000 && own <= 1000), what, signedNs(addWall), signedNs(addCPU), fmtNs(own))
	}
	adds("W1", hot, base)
	adds("W1, the module reading the response with field reads", hotFields, base)
	adds("W1, the module scanning its input for the id", hotScan, base)
	adds("W1 with SDK-written callbacks (field reads)", sdkHot, sdkBase)
	adds("W1 with SDK-written callbacks, the module reading the response with field reads", sdkHotFields, sdkBase)
	// The same adds, measured in pairs of slices side by side (paired.go):
	// the rows above are half a second each, seconds apart.
	fmt.Fprintf(w, "\n  measured in pairs (%d pairs of %s slices, each pair side by side, the order alternating; median):\n", pairPairs, pairSlice)
	for _, c := range []struct {
		what       string
		base, with system
		own        *benchRow
	}{
		{"W1", w1, warm, hot},
		{"W1, the module reading the response with field reads", w1, fields, hotFields},
		{"W1 with SDK-written callbacks (field reads)", sdk, sdkWarm, sdkHot},
		{"W1 with SDK-written callbacks, the module reading the response with field reads", sdk, sdkFields, sdkHotFields},
	} {
		p, err := timePaired(ctx, c.base, c.with, ev, pairPairs, pairSlice)
		if err != nil {
			return err
		}
		own := c.own.extraMedian(0)
		fmt.Fprintf(w, "  %s the warm cache adds at most 1 µs per event to %s, paired: %s; the module's own call %s\n",
			mark(p.wall <= 1000 && p.cpu <= 1000 && own <= 1000), c.what, p, fmtNs(own))
	}
	addWall, addCPU := hot.ns()-konst.ns(), hot.cpu()-konst.cpu()
	fmt.Fprintf(w, "  %s the lookup itself, warm (the module less its constant-body twin) costs at most 1 µs per event: %s wall, %s CPU\n", mark(addWall <= 1000 && addCPU <= 1000), signedNs(addWall), signedNs(addCPU))
	fmt.Fprintf(w, "  %s 100 concurrent events asking for the same tenant make one upstream request: %d\n", mark(coal == 1), coal)
	return nil
}

// checkCoalescing enriches, on a new enricher (its cache cold), 100
// events at once that all ask for the same tenant, each on its own
// goroutine with the default parallelism, while the server holds its
// answers a little; it returns how many requests for that tenant reached
// the server, after checking every payload.
func checkCoalescing(ctx context.Context, tmp string, srv *tenantServer, settings string, mods map[string]string, ev *wasmhook.Event, want []byte) (int, error) {
	dir, err := dirOf(tmp, "lookups-burst", mods, settings)
	if err != nil {
		return 0, err
	}
	s, err := newReporting(ctx, dir, wasmhook.Options{})
	if err != nil {
		return 0, err
	}
	defer s.close(ctx)
	events, err := newTenantEvents(ev, 77)
	if err != nil {
		return 0, err
	}
	burst := *events.nextEvent()
	srv.delay.Store(int64(50 * time.Millisecond))
	defer srv.delay.Store(0)
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res wasmhook.Result
			err := s.e.EnrichInto(ctx, &burst, &res)
			if err == nil {
				if f := res.Failed(); len(f) > 0 {
					err = f[0].Err
				}
			}
			if err == nil {
				err = checkContext(res.Payload, want)
			}
			errs[g] = err
		}()
	}
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("100 concurrent events, goroutine %d: %w", g, err)
		}
	}
	return srv.requests("77"), nil
}

// The lookups section's paired measurements: 15 pairs of 100 ms slices,
// 3 s per comparison.
const (
	pairPairs = 15
	pairSlice = 100 * time.Millisecond
)

// signedNs is a difference of times with its sign.
func signedNs(ns float64) string {
	if ns < 0 {
		return "-" + fmtNs(-ns)
	}
	return "+" + fmtNs(ns)
}
