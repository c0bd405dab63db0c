package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// fillVersion changes whenever what the fill writes changes: a cached
// directory filled by another version is filled again.
const fillVersion = 1

// span is how long the filled queue's events came in over: the relay's
// default retention, so that a full week of a busy NetBox is kept.
const span = 7 * 24 * time.Hour

// marker is the file a finished fill leaves in the data directory; a
// directory without it (a fill interrupted) is filled again.
const marker = "console-bench-fill.json"

// fillInfo is what the marker records.
type fillInfo struct {
	Version int       `json:"version"`
	Events  int       `json:"events"`
	Seed    uint64    `json:"seed"`
	Epoch   time.Time `json:"epoch"` // the fill's clock: the last event came just before
	Took    string    `json:"took"`
	Counts  counts    `json:"counts"`
}

// counts are what the fill made, checked after it against the queue's
// Stats.
type counts struct {
	Deliveries, Pending, Delivered, Dead, Attempts int64
}

// weighted is a value and its share.
type weighted struct {
	v string
	w float64
}

// objectTypes are the events' object types, about as a NetBox that
// documents a network sees them: interfaces and addresses change most;
// a few types are rare. The weights are per request (a bulk request's
// events share its type): of the 2.26 million deliveries of the
// default fill, dcim.interface has 32%, tenancy.contact 0.007%.
var objectTypes = []weighted{
	{"dcim.interface", 30}, {"dcim.device", 17}, {"ipam.ipaddress", 16}, {"dcim.cable", 8},
	{"ipam.prefix", 6}, {"virtualization.virtualmachine", 6}, {"ipam.vlan", 4}, {"dcim.powerport", 4},
	{"dcim.site", 3}, {"dcim.rack", 2}, {"circuits.circuit", 2}, {"extras.journalentry", 1},
	{"tenancy.tenant", 0.99}, {"tenancy.contact", 0.01},
}

// eventTypes are the raw event types, weighted per request as above;
// a job's request is its one event (object type core.job), so jobs are
// 0.34% of the default fill's deliveries, errored ones 58 of them.
var eventTypes = []weighted{
	{"object_updated", 63}, {"object_created", 23}, {"object_deleted", 12},
	{"job_started", 0.98}, {"job_completed", 0.98}, {"job_failed", 0.03}, {"job_errored", 0.01},
}

var users = []string{"jstretch", "amuller", "kdiaz", "netbox-automation", "netbox-automation", "netbox-automation", "svc-ansible"}

// dest is a destination of the filled queue: its filter (as in the
// serve configuration the benchmark writes) and what its receiver did.
type dest struct {
	name string
	// objectTypes and events are its filter ("" lists pass all).
	objectTypes []string
	events      []string
	// since: it was added this long before the epoch (0: always there).
	since time.Duration
	// the shares of its deliveries delivered after retries, dead and
	// still pending (pending only among the last day's events: the
	// retry schedule ends after a day), the rest delivered at once.
	retried, dead, pending float64
	// downFor: its receiver has been down this long before the epoch;
	// every delivery of that time is pending.
	downFor time.Duration
}

var destinations = []dest{
	{name: "inventory", retried: 0.012, dead: 0.003, pending: 0.005},
	{name: "monitoring", objectTypes: []string{"dcim.device", "dcim.interface", "dcim.cable", "dcim.site", "ipam.ipaddress", "ipam.prefix", "virtualization.virtualmachine"},
		retried: 0.02, dead: 0.01, pending: 0.005},
	{name: "chat", events: []string{"created", "deleted", "job_ended"}, retried: 0.04, dead: 0.05, pending: 0.01},
	{name: "audit", since: 6 * time.Hour, downFor: 2 * time.Hour, retried: 0.01, dead: 0.001},
}

func (d dest) takes(ev *plan, epoch time.Time) bool {
	if d.since > 0 && ev.received.Before(epoch.Add(-d.since)) {
		return false
	}
	if len(d.objectTypes) > 0 && !contains(d.objectTypes, ev.objectType) {
		return false
	}
	return len(d.events) == 0 || contains(d.events, wasmhook.EventName(ev.eventType))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// plan is one event to enqueue: drawn in one pass, in arrival order, so
// that requests group consecutive events.
type plan struct {
	received              time.Time
	objectType, eventType string
	user                  string
	requestID             string // "" for none (a job's events)
	objectID              int
}

// plans draws n events over span ending at epoch: one request is one
// event (a click in the UI), or 2 to 40 of the same kind (a bulk edit,
// a script through the API).
func plans(n int, seed uint64, epoch time.Time) []plan {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]plan, n)
	start := epoch.Add(-span)
	step := span / time.Duration(n)
	for i := 0; i < n; {
		k := 1
		if r.Float64() < 0.15 {
			k = 2 + r.IntN(39)
		}
		ot, et := pick(r, objectTypes), pick(r, eventTypes)
		req := uuid4(r)
		if strings.HasPrefix(et, "job_") {
			ot, req, k = "core.job", "", 1
		}
		user := users[r.IntN(len(users))]
		for j := 0; j < k && i < n; j++ {
			out[i] = plan{received: start.Add(time.Duration(i)*step + time.Duration(r.Int64N(int64(step)))),
				objectType: ot, eventType: et, user: user, requestID: req, objectID: 1 + r.IntN(200000)}
			i++
		}
	}
	return out
}

func pick(r *rand.Rand, l []weighted) string {
	total := 0.0
	for _, x := range l {
		total += x.w
	}
	f := r.Float64() * total
	for _, x := range l {
		if f < x.w {
			return x.v
		}
		f -= x.w
	}
	return l[len(l)-1].v
}

func uuid4(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuidString(b)
}

// eventID is event i's id: a UUIDv7 of its arrival, as the relay makes
// them, whose last 40 bits are i (the fill finds an event's plan from a
// claimed delivery's event id).
func eventID(i int, at time.Time, r *rand.Rand) string {
	var b [16]byte
	ms := uint64(at.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16|uint64(r.Uint32()&0x0fff))
	b[6] = b[6]&0x0f | 0x70
	binary.BigEndian.PutUint64(b[8:], r.Uint64()&^(1<<40-1)|uint64(i))
	b[8] = b[8]&0x3f | 0x80
	return uuidString(b)
}

func eventIndex(id string) int {
	h := strings.ReplaceAll(id, "-", "")
	n, _ := strconv.ParseUint(h[22:], 16, 64)
	return int(n)
}

func uuidString(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// template is W1's event (../testdata/w1: a site of 1.7 KiB with its
// snapshots) cut into the parts a body is made of, as their bytes.
type template struct {
	dataTail              string // data after its name: from `, "slug"` on
	prechange, postchange string
}

func readTemplate(file string) (*template, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var ev struct {
		Data      json.RawMessage `json:"data"`
		Snapshots struct {
			Prechange, Postchange json.RawMessage
		} `json:"snapshots"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	data := string(ev.Data)
	i := strings.Index(data, `, "slug"`)
	if i < 0 || !strings.Contains(data, statusActive) {
		return nil, fmt.Errorf("%s: data has no slug or no active status", file)
	}
	return &template{dataTail: data[i:], prechange: string(ev.Snapshots.Prechange), postchange: string(ev.Snapshots.Postchange)}, nil
}

const statusActive = `"status": {"value": "active", "label": "Active"}`

// body is event p's webhook body as NetBox posts it (its key order, and
// Python's separators): W1's data and snapshots with this event's
// object, status, time, user and request. About 3.3 KiB.
func body(t *template, p *plan, i int) []byte {
	app, model, _ := strings.Cut(p.objectType, ".")
	name := fmt.Sprintf("%s-%d", model, p.objectID)
	status := []string{"active", "planned", "staged", "decommissioning"}[i%4]
	if strings.HasPrefix(p.eventType, "job_") {
		status = map[string]string{"job_started": "running", "job_completed": "completed", "job_failed": "failed", "job_errored": "errored"}[p.eventType]
	}
	tail := strings.Replace(t.dataTail, statusActive,
		fmt.Sprintf(`"status": {"value": %q, "label": %q}`, status, strings.ToUpper(status[:1])+status[1:]), 1)
	var b strings.Builder
	b.Grow(4096)
	reqID := "null"
	if p.requestID != "" {
		reqID = strconv.Quote(p.requestID)
	}
	fmt.Fprintf(&b, `{"event": %q, "timestamp": %q, "object_type": %q, "username": %q, "request_id": %s, `,
		wasmhook.EventName(p.eventType), p.received.UTC().Format("2006-01-02T15:04:05.000000+00:00"), p.objectType, p.user, reqID)
	fmt.Fprintf(&b, `"data": {"id": %d, "url": "https://nb.local/api/%s/%ss/%d/", "display_url": "https://nb.local/%s/%ss/%d/", "display": %q, "name": %q%s`,
		p.objectID, app, model, p.objectID, app, model, p.objectID, name, name, tail)
	if p.requestID != "" {
		method := map[string]string{"object_created": "POST", "object_updated": "PATCH", "object_deleted": "DELETE"}[p.eventType]
		fmt.Fprintf(&b, `, "request": {"id": %q, "method": %q, "path": "/api/%s/%ss/%d/", "user": %q}`, p.requestID, method, app, model, p.objectID, p.user)
	}
	switch p.eventType {
	case "object_created":
		fmt.Fprintf(&b, `, "snapshots": {"prechange": null, "postchange": %s}`, t.postchange)
	case "object_updated":
		fmt.Fprintf(&b, `, "snapshots": {"prechange": %s, "postchange": %s}`, t.prechange, t.postchange)
	case "object_deleted":
		fmt.Fprintf(&b, `, "snapshots": {"prechange": %s, "postchange": null}`, t.prechange)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// reportJSON is the enrichment's report as serve keeps it
// (relay.ParseReport reads it).
func reportJSON(res *wasmhook.Result) []byte {
	rep := relay.Report{Callbacks: make([]relay.CallbackReport, len(res.Reports))}
	for i, r := range res.Reports {
		c := relay.CallbackReport{Name: r.Callback, Kind: string(r.Kind), TimeNS: int64(r.Duration), OutputBytes: r.OutputBytes,
			Nest: r.Nest, Keys: r.Keys, Class: wasmhook.ErrorClass(r.Err)}
		if r.Err != nil {
			c.Error = r.Err.Error()
		}
		for _, o := range r.Overwrote {
			c.Overwrote = append(c.Overwrote, relay.OverwriteEntry{Key: o.Key, Callback: o.Callback})
		}
		rep.Callbacks[i] = c
	}
	b, _ := json.Marshal(rep)
	return b
}

// fate is what happened to one delivery: its attempts, oldest first,
// and its state after the last.
type fate struct {
	attempts []queue.Attempt
	state    queue.State
	next     time.Time // a pending delivery's next attempt
}

var (
	okBody      = []byte(`{"status":"ok"}`)
	busyBody    = []byte("<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
	limitedBody = []byte(`{"ok":false,"error":"rate_limited","retry_after":30}`)
	goneBody    = []byte(`{"ok":false,"error":"channel_archived"}`)
	invalidBody = []byte(`{"detail":"payload rejected: unknown object type"}`)
	crashBody   = []byte(`{"error":"internal server error","trace_id":"6f1d3c2a9b8e4f70"}`)
)

// schedule is serve's default retry schedule (before jitter).
var schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// fateOf draws delivery d of event p.
func fateOf(d dest, p *plan, epoch time.Time, r *rand.Rand) fate {
	at := p.received.Add(time.Duration(20+r.IntN(200)) * time.Millisecond)
	lat := func() time.Duration { return time.Duration(15+r.IntN(120)) * time.Millisecond }
	var f fate
	add := func(status int, errText string, resp []byte) {
		f.attempts = append(f.attempts, queue.Attempt{At: at, Status: status, Latency: lat(), Error: errText, Response: resp})
		if n := len(f.attempts); n <= len(schedule) {
			at = at.Add(schedule[n-1])
		}
	}
	failure := func() {
		switch d.name {
		case "chat":
			add(429, "HTTP 429", limitedBody)
		case "audit":
			f.attempts = append(f.attempts, queue.Attempt{At: at, Error: "dial tcp 10.20.0.14:443: connect: connection refused", Latency: time.Millisecond})
			at = at.Add(schedule[min(len(f.attempts), len(schedule))-1])
		default:
			add(503, "HTTP 503", busyBody)
		}
	}
	recent := p.received.After(epoch.Add(-24 * time.Hour))
	x := r.Float64()
	switch {
	case d.downFor > 0 && p.received.After(epoch.Add(-d.downFor)):
		for at.Before(epoch) && len(f.attempts) < 4 {
			failure()
		}
		if len(f.attempts) == 0 {
			failure()
		}
		f.state, f.next = queue.Pending, later(at, epoch)
		return f
	case x < d.dead:
		if d.name == "chat" || d.name == "monitoring" {
			// refused for good at the first attempt
			if d.name == "chat" {
				add(410, "HTTP 410", goneBody)
			} else {
				add(422, "HTTP 422", invalidBody)
			}
		} else {
			for range len(schedule) + 1 {
				add(500, "HTTP 500", crashBody)
			}
		}
		f.state = queue.Dead
		return f
	case x < d.dead+d.pending && recent:
		for range 1 + r.IntN(3) {
			failure()
		}
		f.state, f.next = queue.Pending, later(at, epoch)
		return f
	case x < d.dead+d.pending+d.retried:
		for range 1 + r.IntN(2) {
			failure()
		}
	}
	add(200, "", okBody)
	f.state = queue.Delivered
	return f
}

// later is t, or a minute after the epoch when t is not after it: the
// fill's Claims must not find the pending deliveries due again (the
// benchmark moves them past its own start anyway).
func later(t, epoch time.Time) time.Time {
	if t.After(epoch) {
		return t
	}
	return epoch.Add(time.Minute)
}

// fill fills dir with n events through the queue's own API: Enqueue
// from many goroutines (each event's body enriched by the W1 modules
// in modules), then each delivery claimed and its attempts recorded
// (Retry, Succeeded, Fail) as the relay records them. The queue runs
// with synchronous=NORMAL (a crash during the fill only means filling
// again) and a fixed clock, the epoch, just after the last event.
func fill(ctx context.Context, dir, modules string, n int, seed uint64, logf func(string, ...any)) (*fillInfo, error) {
	start := time.Now()
	epoch := start.UTC().Truncate(time.Second)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmpl, err := readTemplate(filepath.Join(benchDir, "../testdata/w1/event.json"))
	if err != nil {
		return nil, err
	}
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: modules, ReportKeys: true})
	if err != nil {
		return nil, err
	}
	defer e.Close(ctx)
	q, err := queue.Open(dir, queue.Options{Sync: queue.SyncNormal, MaxBatch: 1024, Now: func() time.Time { return epoch }})
	if err != nil {
		return nil, err
	}
	defer q.Close()

	ps := plans(n, seed, epoch)
	var c counts
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	workers := 128
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || firstErr != nil {
					return
				}
				p := &ps[i]
				r := rand.New(rand.NewPCG(seed, uint64(i)+2))
				b := body(tmpl, p, i)
				ev, err := wasmhook.ParseEvent(b)
				if err == nil && (ev.EventType != p.eventType || ev.ObjectType != p.objectType) {
					err = fmt.Errorf("read back as %s %s", ev.ObjectType, ev.EventType)
				}
				if err != nil {
					fail(fmt.Errorf("event %d: %w\n%s", i, err, b))
					return
				}
				res, err := e.Enrich(ctx, ev)
				if err != nil {
					fail(fmt.Errorf("enriching event %d: %w", i, err))
					return
				}
				qe := &queue.Event{ID: eventID(i, p.received, r), Source: "netbox", Received: p.received,
					ObjectType: p.objectType, EventType: p.eventType, RequestID: p.requestID,
					Body: b, Payload: res.Payload, Report: reportJSON(res)}
				var ds []string
				for _, d := range destinations {
					if d.takes(p, epoch) {
						ds = append(ds, d.name)
					}
				}
				if err := q.Enqueue(ctx, qe, ds); err != nil {
					fail(fmt.Errorf("enqueue %d: %w", i, err))
					return
				}
				if i%100000 == 0 && i > 0 {
					logf("enqueued %d events (%s)", i, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	logf("enqueued %d events (%s); recording the attempts", n, time.Since(start).Round(time.Second))

	// Each destination: one claimer, workers recording each delivery's
	// attempts. A claimed delivery is leased past the epoch, and every
	// Retry schedules past it, so no delivery is claimed twice.
	var mu sync.Mutex
	for _, d := range destinations {
		claimed := make(chan queue.Claimed, 1024)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(claimed)
			for firstErr == nil {
				cs, err := q.Claim(ctx, d.name, 512, time.Hour)
				if err != nil {
					fail(err)
					return
				}
				if len(cs) == 0 {
					return
				}
				for _, c := range cs {
					claimed <- c
				}
			}
		}()
		for range 96 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine counts
				defer func() {
					mu.Lock()
					c.Deliveries += mine.Deliveries
					c.Pending += mine.Pending
					c.Delivered += mine.Delivered
					c.Dead += mine.Dead
					c.Attempts += mine.Attempts
					mu.Unlock()
				}()
				for cl := range claimed {
					i := eventIndex(cl.EventID)
					r := rand.New(rand.NewPCG(seed^0x5eed, uint64(i)<<3|uint64(destIndex(d.name))))
					f := fateOf(d, &ps[i], epoch, r)
					if err := record(ctx, q, cl.ID, f, epoch); err != nil {
						fail(fmt.Errorf("recording delivery %s: %w", cl.ID, err))
						return
					}
					mine.Deliveries++
					mine.Attempts += int64(len(f.attempts))
					switch f.state {
					case queue.Pending:
						mine.Pending++
					case queue.Delivered:
						mine.Delivered++
					case queue.Dead:
						mine.Dead++
					}
				}
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	st, err := q.Stats(ctx)
	if err != nil {
		return nil, err
	}
	if st.Events != int64(n) || st.Pending != c.Pending || st.Delivered != c.Delivered || st.Dead != c.Dead {
		return nil, fmt.Errorf("the queue holds %+v after the fill, which made %d events and %+v", st, n, c)
	}
	if err := q.Close(); err != nil {
		return nil, err
	}
	info := &fillInfo{Version: fillVersion, Events: n, Seed: seed, Epoch: epoch, Took: time.Since(start).Round(time.Second).String(), Counts: c}
	b, _ := json.MarshalIndent(info, "", "  ")
	return info, os.WriteFile(filepath.Join(dir, marker), b, 0o600)
}

func destIndex(name string) int {
	for i, d := range destinations {
		if d.name == name {
			return i
		}
	}
	return -1
}

// record records f's attempts on delivery id as the relay does: a
// Retry per failed attempt, then Succeeded or Fail; the attempts before
// the last are scheduled past the epoch so that no Claim takes the
// delivery again.
func record(ctx context.Context, q queue.Queue, id string, f fate, epoch time.Time) error {
	for k, a := range f.attempts {
		last := k == len(f.attempts)-1
		var err error
		switch {
		case last && f.state == queue.Delivered:
			err = q.Succeeded(ctx, id, a)
		case last && f.state == queue.Dead:
			err = q.Fail(ctx, id, a)
		case last:
			err = q.Retry(ctx, id, a, f.next)
		default:
			err = q.Retry(ctx, id, a, epoch.Add(time.Hour))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readFill returns the marker of a filled directory, nil when dir holds
// no finished fill of this version and size.
func readFill(dir string, n int, seed uint64) *fillInfo {
	b, err := os.ReadFile(filepath.Join(dir, marker))
	if err != nil {
		return nil
	}
	var info fillInfo
	if json.Unmarshal(b, &info) != nil || info.Version != fillVersion || info.Events != n || info.Seed != seed {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, queue.FileName)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return &info
}
