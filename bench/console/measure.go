package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmhook/wasmhook/bench/internal/serveproc"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// token is the console's admin token in the benchmark's configuration.
const token = "bench-console-token-0123456789abcdef"

// page is one measured page: its path and what its answer must show.
type page struct {
	name string
	path string
	// want is a text the page must contain; rows the deliveries it
	// must list (-1 for any, as on the event page); wantNext its link
	// onwards ("older", "look further" or "").
	want     string
	rows     int
	wantNext string
	// Set by the measurement.
	times   []time.Duration
	gotRows int
	next    string // the page's link onwards: "older", "look further" or ""
	cold    time.Duration
}

// measure re-arms the filled queue's pending deliveries (due after this
// run, so that the relay is idle while measured), starts wasmhook serve
// on dir with a console token, and times each page n times, the pages
// taking turns.
func measure(ctx context.Context, w io.Writer, dir string, info *fillInfo, n int) error {
	tmp, err := os.MkdirTemp("", "wasmhook-console-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "wasmhook")
	if out, err := exec.Command("go", "build", "-C", filepath.Join(benchDir, ".."), "-o", bin, "./cmd/wasmhook").CombinedOutput(); err != nil {
		return fmt.Errorf("building wasmhook: %v\n%s", err, out)
	}
	// Opening migrates a queue written by an older schema, once.
	t0 := time.Now()
	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		return err
	}
	if err := q.Close(); err != nil {
		return err
	}
	logf("opened the queue in %s", time.Since(t0).Round(time.Millisecond))
	if err := rearm(dir); err != nil {
		return fmt.Errorf("re-arming the pending deliveries: %w", err)
	}
	pages, err := pagesOf(ctx, dir, info)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var hits sync.Map
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Store(req.Header.Get("webhook-id"), true)
	}))
	mods := filepath.Join(tmp, "modules")
	os.MkdirAll(mods, 0o755)
	for _, cb := range []string{"cb1", "cb2", "cb3"} {
		b, err := os.ReadFile(filepath.Join(benchDir, "guests/wasmhook", cb+".wasm"))
		if err != nil {
			return err
		}
		os.WriteFile(filepath.Join(mods, cb+".wasm"), b, 0o644)
	}
	config := filepath.Join(tmp, "serve.yaml")
	os.WriteFile(config, []byte(serveConfig(dir, mods, "http://"+ln.Addr().String()+"/")), 0o600)
	proc, stop, err := serveproc.Start(bin, config, 5*time.Minute)
	if err != nil {
		return err
	}
	defer stop()
	base := proc.URL

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	get := func(p *page) (time.Duration, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: HTTP %d: %s", p.path, resp.StatusCode, firstLine(b))
		}
		return took, b, err
	}
	// Cold: each page once with the queue's file out of the operating
	// system's page cache (a relay that has not read those pages since
	// its host booted, or whose file is larger than its memory).
	for _, p := range pages {
		if err := evict(dir); err != nil && !errors.Is(err, errNoEvict) {
			return err
		}
		took, b, err := get(p)
		if err != nil {
			return err
		}
		p.cold = took
		if err := p.check(b); err != nil {
			return err
		}
	}
	// One round unmeasured: the cold pass left only its last page's
	// reads in the page cache.
	for _, p := range pages {
		if _, _, err := get(p); err != nil {
			return err
		}
	}
	for range n {
		for _, p := range pages {
			took, _, err := get(p)
			if err != nil {
				return err
			}
			p.times = append(p.times, took)
		}
	}
	hit := 0
	hits.Range(func(any, any) bool { hit++; return true })
	report(w, dir, info, pages, n, hit)
	return nil
}

var (
	rowRe  = regexp.MustCompile(`<td><a href="/console/events/`)
	nextRe = regexp.MustCompile(`rel="next">([^<]*) →</a>`)
)

// check checks a page's answer: its text, and its row count.
func (p *page) check(b []byte) error {
	if p.want != "" && !bytes.Contains(b, []byte(p.want)) {
		return fmt.Errorf("%s (%s): the page does not show %q", p.name, p.path, p.want)
	}
	p.gotRows = len(rowRe.FindAllIndex(b, -1))
	if m := nextRe.FindSubmatch(b); m != nil {
		p.next = string(m[1])
	}
	if p.rows >= 0 && p.next != p.wantNext {
		return fmt.Errorf("%s (%s): links onwards with %q, want %q", p.name, p.path, p.next, p.wantNext)
	}
	if p.rows >= 0 && p.gotRows != p.rows {
		return fmt.Errorf("%s (%s): %d deliveries listed, want %d", p.name, p.path, p.gotRows, p.rows)
	}
	return nil
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// rearm moves every pending delivery's next attempt to between one and
// 30 days after now, spread by id, so that the relay attempts none while
// measured; a bulk UPDATE through SQLite, in this benchmark only.
func rearm(dir string) error {
	db, err := sql.Open("sqlite", filepath.Join(dir, queue.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UnixNano()
	_, err = db.Exec(`UPDATE deliveries SET next_attempt = ? + (seq % 2592000) * 1000000000 + 86400000000000, leased = 0 WHERE state = 'pending'`, now)
	return err
}

// serveConfig is the benchmark's serve configuration: the fill's
// destinations (their filters, a local receiver), a console token, and
// a retention of ten years so that the relay deletes nothing of the
// filled week whenever the benchmark runs again.
func serveConfig(dir, modules, target string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\ndata_dir: %s\nmodules: %s\nretention: 87600h\n", dir, modules)
	fmt.Fprintf(&b, "sources: {netbox: {unsigned: true}}\nconsole: {token: {value: %s}}\ndestinations:\n", token)
	for _, d := range destinations {
		fmt.Fprintf(&b, "  %s:\n    url: %q\n", d.name, target+d.name)
		if len(d.objectTypes) > 0 || len(d.events) > 0 {
			fmt.Fprintf(&b, "    filter: {object_types: [%s], events: [%s]}\n", strings.Join(d.objectTypes, ", "), strings.Join(d.events, ", "))
		}
	}
	return b.String()
}

// pagesOf lists the pages to measure, with ids read from the queue (an
// event half-way through, the request with the most events, a dead
// delivery's event) and the page sizes they must show.
func pagesOf(ctx context.Context, dir string, info *fillInfo) ([]*page, error) {
	q, err := queue.Open(dir, queue.Options{})
	if err != nil {
		return nil, err
	}
	defer q.Close()
	mid := strconv.FormatInt(info.Counts.Deliveries/2, 10)
	one := func(f queue.Filter) (queue.Delivery, error) {
		f.Limit = 1
		ds, err := q.List(ctx, f)
		if err == nil && len(ds) == 0 {
			err = fmt.Errorf("no delivery matches %+v", f)
		}
		if err != nil {
			return queue.Delivery{}, err
		}
		return ds[0], nil
	}
	half, err := one(queue.Filter{After: mid})
	if err != nil {
		return nil, err
	}
	deadInv, err := one(queue.Filter{After: mid, State: queue.Dead, Destination: "inventory"})
	if err != nil {
		return nil, err
	}
	// The request of the most events, among those of the middle day.
	ps := plans(info.Events, info.Seed, info.Epoch)
	best, bestN := "", 0
	for i := len(ps) / 2; i < len(ps)/2+len(ps)/7 && i < len(ps); {
		j := i
		for j < len(ps) && ps[j].requestID == ps[i].requestID {
			j++
		}
		if ps[i].requestID != "" && j-i > bestN {
			best, bestN = ps[i].requestID, j-i
		}
		i = j
	}
	// A list page must show what the queue's page holds, and link on
	// as it says.
	list := func(name, path string, f queue.Filter) (*page, error) {
		f.Limit, f.Newest = 50, true // the console's pages
		qp, err := q.ListPage(ctx, f)
		p := &page{name: name, path: path, rows: len(qp.Deliveries)}
		switch {
		case qp.Partial:
			p.wantNext = "look further"
		case qp.Next != "":
			p.wantNext = "older"
		}
		return p, err
	}
	var pages []*page
	for _, l := range []struct {
		name, query string
		f           queue.Filter
	}{
		{"deliveries, no filter", "", queue.Filter{}},
		{"state = pending", "state=pending", queue.Filter{State: queue.Pending}},
		{"state = dead", "state=dead", queue.Filter{State: queue.Dead}},
		{"state = delivered", "state=delivered", queue.Filter{State: queue.Delivered}},
		{"destination = inventory (all events)", "destination=inventory", queue.Filter{Destination: "inventory"}},
		{"destination = audit (added 6 h ago)", "destination=audit", queue.Filter{Destination: "audit"}},
		{"object type = dcim.interface (32%)", "object_type=dcim.interface", queue.Filter{ObjectType: "dcim.interface"}},
		{"object type = tenancy.contact (0.007%)", "object_type=tenancy.contact", queue.Filter{ObjectType: "tenancy.contact"}},
		{"event = object_updated (53%)", "event=object_updated", queue.Filter{EventType: "object_updated"}},
		{"event = job_errored (0.003%)", "event=job_errored", queue.Filter{EventType: "job_errored"}},
		{"state = dead, destination = chat", "state=dead&destination=chat", queue.Filter{State: queue.Dead, Destination: "chat"}},
		{"object type = dcim.device, event = object_deleted", "object_type=dcim.device&event=object_deleted", queue.Filter{ObjectType: "dcim.device", EventType: "object_deleted"}},
		{"state = pending, destination = monitoring, event = object_created", "state=pending&destination=monitoring&event=object_created",
			queue.Filter{State: queue.Pending, Destination: "monitoring", EventType: "object_created"}},
		{"state = dead, destination = inventory, object type = ipam.ipaddress", "state=dead&destination=inventory&object_type=ipam.ipaddress",
			queue.Filter{State: queue.Dead, Destination: "inventory", ObjectType: "ipam.ipaddress"}},
		{"state = delivered, event = job_failed, destination = chat", "state=delivered&event=job_failed&destination=chat",
			queue.Filter{State: queue.Delivered, EventType: "job_failed", Destination: "chat"}},
		{"object type = dcim.interface, event = job_started (none: jobs are core.job)", "object_type=dcim.interface&event=job_started",
			queue.Filter{ObjectType: "dcim.interface", EventType: "job_started"}},
		{fmt.Sprintf("search: a request id (%d events)", bestN), "q=" + best, queue.Filter{RequestID: best}},
		{"deep page: no filter, after the middle delivery", "after=" + mid, queue.Filter{After: mid}},
		{"deep page: state = delivered, after the middle", "state=delivered&after=" + mid, queue.Filter{State: queue.Delivered, After: mid}},
		{"deep page: object type = dcim.interface, after the middle", "object_type=dcim.interface&after=" + mid, queue.Filter{ObjectType: "dcim.interface", After: mid}},
		{"deep page: destination = audit, after the middle (older than all of audit's)", "destination=audit&after=" + mid, queue.Filter{Destination: "audit", After: mid}},
	} {
		p, err := list(l.name, "/console/deliveries?"+l.query, l.f)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	dead, err := list("dead deliveries", "/console/dead", queue.Filter{State: queue.Dead})
	if err != nil {
		return nil, err
	}
	deadMid, err := list("dead deliveries, after the middle", "/console/dead?after="+mid, queue.Filter{State: queue.Dead, After: mid})
	if err != nil {
		return nil, err
	}
	dead.want, deadMid.want = "Replay all", "Replay all"
	pages = append(pages,
		&page{name: "search: an event id", path: "/console/deliveries?q=" + half.EventID, want: "Deliveries of the event", rows: -1},
		&page{name: "event page: delivered", path: "/console/events/" + half.EventID, want: "Enriched payload", rows: -1},
		&page{name: fmt.Sprintf("event page: a dead delivery, %d attempts", deadInv.Attempts), path: "/console/events/" + deadInv.EventID, want: "Replay", rows: -1},
		&page{name: "overview", path: "/console/", want: "pending deliveries", rows: -1},
		dead, deadMid,
	)
	for _, p := range pages {
		if u, err := url.Parse(p.path); err != nil || u.Path == "" {
			return nil, fmt.Errorf("page %s: bad path %q", p.name, p.path)
		}
	}
	return pages, nil
}

// quantile is the nearest-rank quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func report(w io.Writer, dir string, info *fillInfo, pages []*page, n, hits int) {
	st, _ := os.Stat(filepath.Join(dir, queue.FileName))
	size := int64(0)
	if st != nil {
		size = st.Size()
	}
	c := info.Counts
	fmt.Fprintf(w, "queue: %d events, %d deliveries (%d delivered, %d pending, %d dead), %d attempts; queue.db %.1f GiB; filled at %s in %s\n",
		info.Events, c.Deliveries, c.Delivered, c.Pending, c.Dead, c.Attempts, float64(size)/(1<<30), info.Epoch.Format(time.RFC3339), info.Took)
	fmt.Fprintf(w, "cold: one request with queue.db out of the page cache; then, after a round unmeasured, %d requests per page, the pages taking turns, one at a time, over loopback HTTP (Authorization: Bearer); p99 of %d is their slowest; %d CPUs; attempts the relay made meanwhile: %d\n\n", n, n, numCPU(), hits)
	if evict("") == errNoEvict {
		fmt.Fprintf(w, "(not Linux: the cold column is each page's first request, the file not evicted)\n\n")
	}
	fmt.Fprintf(w, "| page | rows | onwards | cold | p50 | p99 |\n|---|--:|---|--:|--:|--:|\n")
	over := 0
	for _, p := range pages {
		rows := "-"
		if p.rows >= 0 {
			rows = strconv.Itoa(p.gotRows)
		}
		p99 := quantile(p.times, 0.99)
		if p99 > 100*time.Millisecond {
			over++
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", p.name, rows, p.next, ms(p.cold), ms(quantile(p.times, 0.5)), ms(p99))
	}
	fmt.Fprintf(w, "\n%d of %d pages have a p99 over 100 ms\n", over, len(pages))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
