// Package queuetest is the test suite every implementation of
// [queue.Queue] passes: the embedded SQLite queue, and any other store the
// relay runs on. Its user is the author of a Queue implementation.
package queuetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/relay/queue"
)

// Opener opens a fresh, empty queue for t. reopen opens the same storage
// again, as a restarted process would; the suite calls it only after
// closing q. The opener closes what it opened in t.Cleanup (Close twice
// must be harmless).
type Opener func(t *testing.T) (q queue.Queue, reopen func() queue.Queue)

// Suite runs the behaviour every Queue must have, one subtest per
// property.
func Suite(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"EnqueueClaimSucceeded", testEnqueueClaimSucceeded},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseIsTheHolders", testLeaseIsTheHolders},
		{"LateRecord", testLateRecord},
		{"Retry", testRetry},
		{"FailReplayPurge", testFailReplayPurge},
		{"PurgeKeepsLiveEvents", testPurgeKeepsLiveEvents},
		{"PruneDelivered", testPruneDelivered},
		{"ListPaging", testListPaging},
		{"ListFilters", testListFilters},
		{"ListNewestPaging", testListNewestPaging},
		{"ListLongPages", testListLongPages},
		{"StatsOldestPending", testStatsOldestPending},
		{"Duplicate", testDuplicate},
		{"NotFound", testNotFound},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
		{"Reopen", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// base is a fixed time at millisecond precision, so that stores keeping
// milliseconds compare equal.
var base = time.Date(2026, 3, 6, 15, 11, 23, 503_000_000, time.UTC)

func event(i int) *queue.Event {
	return &queue.Event{
		ID:         fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		Source:     "netbox",
		Received:   base.Add(time.Duration(i) * time.Millisecond),
		ObjectType: "dcim.site",
		EventType:  "object_created",
		Body:       []byte(fmt.Sprintf(`{"event":"created","n":%d}`, i)),
		Payload:    []byte(fmt.Sprintf(`{"event":"created","n":%d,"context":{}}`, i)),
		Report:     []byte(`{"callbacks":[]}`),
		RequestID:  fmt.Sprintf("00000000-0000-4000-9000-%012d", i/2), // two events per request
	}
}

func attempt(status int, errText string) queue.Attempt {
	return queue.Attempt{At: base, Status: status, Latency: 12 * time.Millisecond, Error: errText, Response: []byte("ok")}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, q queue.Queue, i int, dests ...string) *queue.Event {
	t.Helper()
	ev := event(i)
	must(t, q.Enqueue(context.Background(), ev, dests))
	return ev
}

func claim(t *testing.T, q queue.Queue, dest string, max int, lease time.Duration) []queue.Claimed {
	t.Helper()
	c, err := q.Claim(context.Background(), dest, max, lease)
	must(t, err)
	return c
}

func stats(t *testing.T, q queue.Queue) queue.Stats {
	t.Helper()
	st, err := q.Stats(context.Background())
	must(t, err)
	return st
}

func wantStats(t *testing.T, q queue.Queue, events, pending, delivered, dead int64) {
	t.Helper()
	st := stats(t, q)
	if st.Events != events || st.Pending != pending || st.Delivered != delivered || st.Dead != dead {
		t.Fatalf("stats: events %d pending %d delivered %d dead %d, want %d %d %d %d",
			st.Events, st.Pending, st.Delivered, st.Dead, events, pending, delivered, dead)
	}
}

func delivery(t *testing.T, q queue.Queue, eventID, id string) (queue.Delivery, []queue.Attempt) {
	t.Helper()
	_, ds, at, err := q.Event(context.Background(), eventID)
	must(t, err)
	for _, d := range ds {
		if d.ID == id {
			return d, at[id]
		}
	}
	t.Fatalf("event %s has no delivery %s", eventID, id)
	return queue.Delivery{}, nil
}

func testEnqueueClaimSucceeded(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	ev := enqueue(t, q, 1, "a", "b")
	wantStats(t, q, 1, 2, 0, 0)

	ca := claim(t, q, "a", 10, time.Minute)
	if len(ca) != 1 {
		t.Fatalf("claim a: %d deliveries, want 1", len(ca))
	}
	c := ca[0]
	if c.EventID != ev.ID || c.Destination != "a" || c.State != queue.Pending || c.Attempts != 0 || !bytes.Equal(c.Payload, ev.Payload) {
		t.Fatalf("claimed %+v, payload %q", c.Delivery, c.Payload)
	}
	if again := claim(t, q, "a", 10, time.Minute); len(again) != 0 {
		t.Fatalf("a leased delivery was claimed again: %+v", again)
	}
	cb := claim(t, q, "b", 10, time.Minute)
	if len(cb) != 1 || cb[0].ID == c.ID {
		t.Fatalf("claim b: %+v", cb)
	}

	long := bytes.Repeat([]byte("x"), 3000)
	a := queue.Attempt{At: base, Status: 204, Latency: 7 * time.Millisecond, Response: long}
	must(t, q.Succeeded(ctx, c.ID, a))
	wantStats(t, q, 1, 1, 1, 0)

	got, ds, attempts, err := q.Event(ctx, ev.ID)
	must(t, err)
	if got.ID != ev.ID || got.Source != ev.Source || !got.Received.Equal(ev.Received) || got.ObjectType != ev.ObjectType ||
		got.EventType != ev.EventType || got.RequestID != ev.RequestID || !bytes.Equal(got.Body, ev.Body) || !bytes.Equal(got.Payload, ev.Payload) || !bytes.Equal(got.Report, ev.Report) {
		t.Fatalf("Event: %+v, want %+v", got, ev)
	}
	if len(ds) != 2 || ds[0].Destination != "a" || ds[1].Destination != "b" {
		t.Fatalf("deliveries %+v, want a then b", ds)
	}
	if ds[0].State != queue.Delivered || ds[0].Attempts != 1 || ds[0].LastStatus != 204 {
		t.Fatalf("delivery a: %+v", ds[0])
	}
	listed, err := q.List(ctx, queue.Filter{})
	must(t, err)
	for _, d := range append(listed, ds...) {
		if !d.Received.Equal(ev.Received) || d.ObjectType != ev.ObjectType || d.EventType != ev.EventType {
			t.Fatalf("delivery %s describes its event as %v %q %q, want %v %q %q", d.ID, d.Received, d.ObjectType, d.EventType, ev.Received, ev.ObjectType, ev.EventType)
		}
	}
	as := attempts[c.ID]
	if len(as) != 1 || as[0].Status != 204 || as[0].Latency != a.Latency || !as[0].At.Equal(base) {
		t.Fatalf("attempts of a: %+v", as)
	}
	if len(as[0].Response) != 1024 || !bytes.Equal(as[0].Response, long[:1024]) {
		t.Fatalf("response kept: %d bytes, want the first 1024", len(as[0].Response))
	}
	if len(attempts[cb[0].ID]) != 0 {
		t.Fatalf("attempts of b: %+v", attempts[cb[0].ID])
	}
}

func testLeaseExpiry(t *testing.T, open Opener) {
	q, _ := open(t)
	enqueue(t, q, 1, "a")
	first := claim(t, q, "a", 1, 50*time.Millisecond)
	if len(first) != 1 {
		t.Fatalf("claim: %d, want 1", len(first))
	}
	// The lease ends; the delivery is claimed again (its worker is
	// presumed dead). Generous bound: the lease is 50 ms.
	deadline := time.Now().Add(5 * time.Second)
	for {
		again := claim(t, q, "a", 1, time.Minute)
		if len(again) == 1 {
			if again[0].ID != first[0].ID || again[0].Attempts != 0 {
				t.Fatalf("reclaimed %+v, want %s with no attempt", again[0].Delivery, first[0].ID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivery was not claimable 5 s after its 50 ms lease")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if more := claim(t, q, "a", 1, time.Minute); len(more) != 0 {
		t.Fatalf("claimed while leased again: %+v", more)
	}
}

// testLeaseIsTheHolders: a lease lasts as long as its holder asked,
// whatever lease later claims ask for.
func testLeaseIsTheHolders(t *testing.T, open Opener) {
	q, _ := open(t)
	enqueue(t, q, 1, "a")
	if c := claim(t, q, "a", 1, time.Hour); len(c) != 1 {
		t.Fatalf("claim: %d, want 1", len(c))
	}
	// Claims with a lease far shorter than the holder's, long after
	// their own lease would have ended.
	claim(t, q, "a", 1, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if c := claim(t, q, "a", 1, time.Millisecond); len(c) != 0 {
		t.Fatalf("a delivery leased for an hour was claimed again by a claim leasing 1 ms: %+v", c)
	}
}

// testLateRecord: a worker whose lease ended records its attempt after
// another worker delivered the delivery: it stays delivered, and every
// attempt is kept.
func testLateRecord(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	ev := enqueue(t, q, 1, "a")
	first := claim(t, q, "a", 1, 20*time.Millisecond)
	if len(first) != 1 {
		t.Fatalf("claim: %d, want 1", len(first))
	}
	var second []queue.Claimed
	deadline := time.Now().Add(5 * time.Second)
	for len(second) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery was not claimable 5 s after its 20 ms lease")
		}
		time.Sleep(5 * time.Millisecond)
		second = claim(t, q, "a", 1, time.Minute)
	}
	must(t, q.Succeeded(ctx, second[0].ID, attempt(200, "")))
	must(t, q.Retry(ctx, first[0].ID, attempt(503, "late"), time.Now()))
	must(t, q.Fail(ctx, first[0].ID, attempt(400, "later")))
	d, as := delivery(t, q, ev.ID, first[0].ID)
	if d.State != queue.Delivered || d.Attempts != 3 || len(as) != 3 {
		t.Fatalf("after late records: %+v, %d attempts, want delivered with 3", d, len(as))
	}
	wantStats(t, q, 1, 0, 1, 0)
	if c := claim(t, q, "a", 1, time.Minute); len(c) != 0 {
		t.Fatalf("a delivered delivery was claimed: %+v", c)
	}
}

func testRetry(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	ev := enqueue(t, q, 1, "a")
	c := claim(t, q, "a", 1, time.Minute)[0]
	must(t, q.Retry(ctx, c.ID, attempt(503, "503 Service Unavailable"), time.Now().Add(time.Hour)))
	if got := claim(t, q, "a", 1, time.Minute); len(got) != 0 {
		t.Fatalf("claimed before its next attempt: %+v", got)
	}
	d, as := delivery(t, q, ev.ID, c.ID)
	if d.State != queue.Pending || d.Attempts != 1 || d.LastStatus != 503 || d.LastError != "503 Service Unavailable" || len(as) != 1 {
		t.Fatalf("after Retry: %+v, %d attempts", d, len(as))
	}
	if d.NextAttempt.Before(time.Now().Add(59 * time.Minute)) {
		t.Fatalf("next attempt %v, want about an hour from now", d.NextAttempt)
	}
	must(t, q.Retry(ctx, c.ID, attempt(0, "connection refused"), time.Now().Add(-time.Second)))
	got := claim(t, q, "a", 1, time.Minute)
	if len(got) != 1 || got[0].ID != c.ID || got[0].Attempts != 2 || got[0].LastError != "connection refused" {
		t.Fatalf("claim after a due retry: %+v", got)
	}
	wantStats(t, q, 1, 1, 0, 0)
}

func testFailReplayPurge(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	ev := enqueue(t, q, 1, "a")
	c := claim(t, q, "a", 1, time.Minute)[0]
	must(t, q.Fail(ctx, c.ID, attempt(404, "404 Not Found")))
	wantStats(t, q, 1, 0, 0, 1)
	if got := claim(t, q, "a", 1, time.Minute); len(got) != 0 {
		t.Fatalf("claimed a dead delivery: %+v", got)
	}
	dead, err := q.List(ctx, queue.Filter{State: queue.Dead})
	must(t, err)
	if len(dead) != 1 || dead[0].ID != c.ID || dead[0].LastStatus != 404 {
		t.Fatalf("dead list: %+v", dead)
	}

	must(t, q.Replay(ctx, c.ID))
	wantStats(t, q, 1, 1, 0, 0)
	if err := q.Replay(ctx, c.ID); !errors.Is(err, queue.ErrNotDead) {
		t.Fatalf("Replay of a pending delivery: %v, want ErrNotDead", err)
	}
	got := claim(t, q, "a", 1, time.Minute)
	if len(got) != 1 || got[0].ID != c.ID || got[0].Attempts != 1 {
		t.Fatalf("claim after Replay: %+v", got)
	}
	must(t, q.Fail(ctx, c.ID, attempt(410, "410 Gone")))
	_, as := delivery(t, q, ev.ID, c.ID)
	if len(as) != 2 || as[0].Status != 404 || as[1].Status != 410 {
		t.Fatalf("attempts, oldest first: %+v", as)
	}

	n, err := q.PurgeDead(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("PurgeDead: %d, want 1", n)
	}
	wantStats(t, q, 0, 0, 0, 0)
	if _, _, _, err := q.Event(ctx, ev.ID); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("Event after purge: %v, want ErrNotFound", err)
	}
	if err := q.Replay(ctx, c.ID); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("Replay after purge: %v, want ErrNotFound", err)
	}
}

func testPurgeKeepsLiveEvents(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	ev := enqueue(t, q, 1, "a", "b")
	c := claim(t, q, "a", 1, time.Minute)[0]
	must(t, q.Fail(ctx, c.ID, attempt(400, "400 Bad Request")))
	n, err := q.PurgeDead(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("PurgeDead: %d, want 1", n)
	}
	wantStats(t, q, 1, 1, 0, 0)
	_, ds, _, err := q.Event(ctx, ev.ID)
	must(t, err)
	if len(ds) != 1 || ds[0].Destination != "b" {
		t.Fatalf("deliveries left: %+v", ds)
	}
	if got := claim(t, q, "b", 1, time.Minute); len(got) != 1 || !bytes.Equal(got[0].Payload, ev.Payload) {
		t.Fatalf("claim b after purge: %+v", got)
	}
}

// testPruneDelivered: events received before the cutoff whose
// deliveries were all delivered go, oldest first and max at a time; an
// event with a pending or dead delivery, or received later, stays.
func testPruneDelivered(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	deliver := func(dest string, status int) {
		t.Helper()
		for _, c := range claim(t, q, dest, 100, time.Minute) {
			if status == 200 {
				must(t, q.Succeeded(ctx, c.ID, attempt(200, "")))
			} else {
				must(t, q.Fail(ctx, c.ID, attempt(status, "no")))
			}
		}
	}
	var evs []*queue.Event
	for i := 1; i <= 6; i++ {
		evs = append(evs, enqueue(t, q, i, "a", "b"))
	}
	extra := enqueue(t, q, 7, "c") // received after the cutoff
	deliver("a", 200)
	deliver("c", 200)
	// b: events 1, 2, 3 and 6 delivered; 4 dead; 5 pending.
	cb := claim(t, q, "b", 100, time.Minute)
	if len(cb) != 6 {
		t.Fatalf("claim b: %d, want 6", len(cb))
	}
	for _, c := range cb {
		switch c.EventID {
		case evs[3].ID:
			must(t, q.Fail(ctx, c.ID, attempt(400, "no")))
		case evs[4].ID:
			must(t, q.Retry(ctx, c.ID, attempt(500, "later"), time.Now()))
		default:
			must(t, q.Succeeded(ctx, c.ID, attempt(200, "")))
		}
	}
	cutoff := extra.Received // events 1-6 were received before it
	n, err := q.PruneDelivered(ctx, cutoff, 2)
	must(t, err)
	if n != 2 {
		t.Fatalf("PruneDelivered max 2: %d", n)
	}
	n, err = q.PruneDelivered(ctx, cutoff, 100)
	must(t, err)
	if n != 2 {
		t.Fatalf("PruneDelivered again: %d, want the 2 left (events 3 and 6)", n)
	}
	for i, ev := range evs {
		_, _, _, err := q.Event(ctx, ev.ID)
		gone := i == 0 || i == 1 || i == 2 || i == 5
		if gone != errors.Is(err, queue.ErrNotFound) {
			t.Fatalf("event %d after prune: %v (want gone: %v)", i+1, err, gone)
		}
	}
	if _, _, _, err := q.Event(ctx, extra.ID); err != nil {
		t.Fatalf("an event received after the cutoff went: %v", err)
	}
	// Left: events 4 (a delivered, b dead), 5 (a delivered, b pending), 7.
	wantStats(t, q, 3, 1, 3, 1)
	if n, err := q.PruneDelivered(ctx, cutoff, 100); err != nil || n != 0 {
		t.Fatalf("PruneDelivered with nothing to prune: %d, %v", n, err)
	}
	// An event looked at while pending goes once it is delivered.
	for _, c := range claim(t, q, "b", 100, time.Minute) {
		if c.EventID == evs[4].ID {
			must(t, q.Succeeded(ctx, c.ID, attempt(200, "")))
		}
	}
	for range 2 { // a look that had passed it, then a new pass
		if n, err = q.PruneDelivered(ctx, cutoff, 100); err != nil || n == 1 {
			break
		}
	}
	if n != 1 {
		t.Fatalf("PruneDelivered of an event delivered after a look kept it: %d, %v", n, err)
	}
}

func testListPaging(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	const n = 25
	for i := range n {
		enqueue(t, q, i, "a", "b")
	}
	var all []queue.Delivery
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := q.List(ctx, queue.Filter{Limit: 10, After: after})
		must(t, err)
		if len(page) == 0 {
			break
		}
		if len(page) > 10 {
			t.Fatalf("page of %d, limit 10", len(page))
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if len(all) != 2*n {
		t.Fatalf("listed %d deliveries, want %d", len(all), 2*n)
	}
	seen := map[string]bool{}
	for i, d := range all {
		if seen[d.ID] {
			t.Fatalf("delivery %s listed twice", d.ID)
		}
		seen[d.ID] = true
		if want := event(i / 2).ID; d.EventID != want {
			t.Fatalf("position %d: event %s, want %s (oldest event first)", i, d.EventID, want)
		}
	}
	onlyB, err := q.List(ctx, queue.Filter{Destination: "b"})
	must(t, err)
	if len(onlyB) != n {
		t.Fatalf("destination b: %d, want %d", len(onlyB), n)
	}
	for _, d := range onlyB {
		if d.Destination != "b" {
			t.Fatalf("filter by destination listed %+v", d)
		}
	}
	c := claim(t, q, "a", 3, time.Minute)
	for _, x := range c {
		must(t, q.Succeeded(ctx, x.ID, attempt(200, "")))
	}
	done, err := q.List(ctx, queue.Filter{State: queue.Delivered})
	must(t, err)
	if len(done) != 3 {
		t.Fatalf("delivered: %d, want 3", len(done))
	}
	pending, err := q.List(ctx, queue.Filter{State: queue.Pending, Destination: "a", Limit: 100})
	must(t, err)
	if len(pending) != n-3 {
		t.Fatalf("pending to a: %d, want %d", len(pending), n-3)
	}
}

func testStatsOldestPending(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	if st := stats(t, q); !st.OldestPending.IsZero() {
		t.Fatalf("empty queue: oldest pending %v", st.OldestPending)
	}
	e0 := enqueue(t, q, 0, "a")
	e1 := enqueue(t, q, 1, "a")
	if st := stats(t, q); !st.OldestPending.Equal(e0.Received) {
		t.Fatalf("oldest pending %v, want %v", st.OldestPending, e0.Received)
	}
	c := claim(t, q, "a", 1, time.Minute)
	if len(c) != 1 || c[0].EventID != e0.ID {
		t.Fatalf("claim: %+v, want the oldest event first", c)
	}
	if st := stats(t, q); !st.OldestPending.Equal(e0.Received) {
		t.Fatalf("a claimed delivery is still pending: oldest %v, want %v", st.OldestPending, e0.Received)
	}
	must(t, q.Succeeded(ctx, c[0].ID, attempt(200, "")))
	if st := stats(t, q); !st.OldestPending.Equal(e1.Received) {
		t.Fatalf("oldest pending %v, want %v", st.OldestPending, e1.Received)
	}
	c = claim(t, q, "a", 1, time.Minute)
	must(t, q.Fail(ctx, c[0].ID, attempt(400, "")))
	if st := stats(t, q); !st.OldestPending.IsZero() {
		t.Fatalf("nothing pending: oldest %v", st.OldestPending)
	}
	wantStats(t, q, 2, 0, 1, 1)
}

func testDuplicate(t *testing.T, open Opener) {
	q, _ := open(t)
	enqueue(t, q, 1, "a")
	if err := q.Enqueue(context.Background(), event(1), []string{"a"}); !errors.Is(err, queue.ErrDuplicate) {
		t.Fatalf("Enqueue of the same id: %v, want ErrDuplicate", err)
	}
	wantStats(t, q, 1, 1, 0, 0)
}

func testNotFound(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	for name, err := range map[string]error{
		"Succeeded": q.Succeeded(ctx, "12345", attempt(200, "")),
		"Retry":     q.Retry(ctx, "12345", attempt(500, ""), time.Now()),
		"Fail":      q.Fail(ctx, "12345", attempt(400, "")),
		"Replay":    q.Replay(ctx, "no-such-delivery"),
	} {
		if !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("%s of no delivery: %v, want ErrNotFound", name, err)
		}
	}
	if _, _, _, err := q.Event(ctx, "no-such-event"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Event: %v, want ErrNotFound", err)
	}
}

func testClosed(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	enqueue(t, q, 1, "a")
	must(t, q.Close())
	if err := q.Enqueue(ctx, event(2), []string{"a"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Enqueue after Close: %v, want ErrClosed", err)
	}
	if _, err := q.Claim(ctx, "a", 1, time.Minute); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Claim after Close: %v, want ErrClosed", err)
	}
	if _, err := q.Stats(ctx); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Stats after Close: %v, want ErrClosed", err)
	}
	if _, err := q.List(ctx, queue.Filter{}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("List after Close: %v, want ErrClosed", err)
	}
}

// testConcurrent: 8 goroutines enqueue while 4 claim and record success.
// With leases far longer than the test, every event is delivered exactly
// once.
func testConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	const producers, perProducer, consumers = 8, 25, 4
	const total = producers * perProducer

	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	errc := make(chan error, producers+consumers)
	enqueued := make(chan struct{})
	var pwg sync.WaitGroup
	for p := range producers {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := range perProducer {
				if err := q.Enqueue(ctx, event(p*perProducer+i), []string{"a"}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	go func() { pwg.Wait(); close(enqueued) }()
	deadline := time.Now().Add(20 * time.Second)
	for range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cs, err := q.Claim(ctx, "a", 8, time.Hour)
				if err != nil {
					errc <- err
					return
				}
				for _, c := range cs {
					mu.Lock()
					got[c.EventID]++
					mu.Unlock()
					if err := q.Succeeded(ctx, c.ID, attempt(200, "")); err != nil {
						errc <- err
						return
					}
				}
				if len(cs) == 0 {
					select {
					case <-enqueued:
						st, err := q.Stats(ctx)
						if err != nil {
							errc <- err
							return
						}
						if st.Pending == 0 {
							return
						}
					default:
					}
					if time.Now().After(deadline) {
						errc <- errors.New("consumers did not finish within 20 s")
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	pwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var dup []string
	for id, n := range got {
		if n != 1 {
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	sort.Strings(dup)
	if len(got) != total || len(dup) != 0 {
		t.Fatalf("delivered %d distinct events of %d; claimed more than once: %v", len(got), total, dup)
	}
	wantStats(t, q, total, 0, total, 0)
}

// testReopen: Close keeps everything; deliveries claimed and not recorded
// are due again at once after reopening, whatever their lease.
func testReopen(t *testing.T, open Opener) {
	ctx := context.Background()
	q, reopen := open(t)
	evs := []*queue.Event{enqueue(t, q, 1, "a"), enqueue(t, q, 2, "a"), enqueue(t, q, 3, "a", "b")}
	c := claim(t, q, "a", 3, time.Hour)
	if len(c) != 3 {
		t.Fatalf("claim: %d, want 3", len(c))
	}
	must(t, q.Succeeded(ctx, c[0].ID, attempt(200, "")))
	must(t, q.Retry(ctx, c[1].ID, attempt(500, "500"), time.Now().Add(time.Hour)))
	must(t, q.Close())

	q = reopen()
	defer q.Close()
	wantStats(t, q, 3, 3, 1, 0)
	for _, ev := range evs {
		got, _, _, err := q.Event(ctx, ev.ID)
		must(t, err)
		if !bytes.Equal(got.Payload, ev.Payload) || !bytes.Equal(got.Body, ev.Body) || !got.Received.Equal(ev.Received) {
			t.Fatalf("event %s changed across reopen: %+v", ev.ID, got)
		}
	}
	again := claim(t, q, "a", 10, time.Hour)
	if len(again) != 1 || again[0].ID != c[2].ID || !bytes.Equal(again[0].Payload, evs[2].Payload) {
		t.Fatalf("after reopen claimed %+v, want only the claimed-unrecorded %s", again, c[2].ID)
	}
	if b := claim(t, q, "b", 10, time.Hour); len(b) != 1 {
		t.Fatalf("claim b after reopen: %+v", b)
	}
	d, as := delivery(t, q, evs[1].ID, c[1].ID)
	if d.Attempts != 1 || len(as) != 1 || d.State != queue.Pending {
		t.Fatalf("retried delivery after reopen: %+v, %d attempts", d, len(as))
	}
}

// ids lists the deliveries' ids.
func ids(ds []queue.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// testListFilters: each filter of List alone and together, in either
// order, selects exactly the deliveries it names.
func testListFilters(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	// 12 events, each to a and b: object types alternate site/device,
	// event types cycle created/updated/deleted, two events per request.
	types := []string{"object_created", "object_updated", "object_deleted"}
	var evs []*queue.Event
	for i := range 12 {
		ev := event(i)
		if i%2 == 1 {
			ev.ObjectType = "dcim.device"
		}
		ev.EventType = types[i%3]
		if i == 11 {
			ev.RequestID = "" // an event with no request
		}
		must(t, q.Enqueue(ctx, ev, []string{"a", "b"}))
		evs = append(evs, ev)
	}
	c := claim(t, q, "a", 2, time.Minute) // events 0 and 1
	must(t, q.Fail(ctx, c[1].ID, attempt(410, "410 Gone")))
	all, err := q.List(ctx, queue.Filter{})
	must(t, err)
	if len(all) != 24 {
		t.Fatalf("listed %d, want 24", len(all))
	}
	event := map[string]*queue.Event{}
	for _, ev := range evs {
		event[ev.ID] = ev
	}
	for _, tc := range []struct {
		name string
		f    queue.Filter
		want func(d queue.Delivery, ev *queue.Event) bool
	}{
		{"object type", queue.Filter{ObjectType: "dcim.device"}, func(d queue.Delivery, ev *queue.Event) bool { return ev.ObjectType == "dcim.device" }},
		{"event type", queue.Filter{EventType: "object_deleted"}, func(d queue.Delivery, ev *queue.Event) bool { return ev.EventType == "object_deleted" }},
		{"both", queue.Filter{ObjectType: "dcim.site", EventType: "object_created"}, func(d queue.Delivery, ev *queue.Event) bool {
			return ev.ObjectType == "dcim.site" && ev.EventType == "object_created"
		}},
		{"event id", queue.Filter{EventID: evs[5].ID}, func(d queue.Delivery, ev *queue.Event) bool { return ev == evs[5] }},
		{"request id", queue.Filter{RequestID: evs[4].RequestID}, func(d queue.Delivery, ev *queue.Event) bool { return ev == evs[4] || ev == evs[5] }},
		{"request id and destination", queue.Filter{RequestID: evs[4].RequestID, Destination: "b"}, func(d queue.Delivery, ev *queue.Event) bool {
			return (ev == evs[4] || ev == evs[5]) && d.Destination == "b"
		}},
		{"object type and state", queue.Filter{ObjectType: "dcim.device", State: queue.Dead}, func(d queue.Delivery, ev *queue.Event) bool { return ev == evs[1] && d.Destination == "a" }},
		{"destination and event type, newest first", queue.Filter{Destination: "a", EventType: "object_updated", Newest: true}, func(d queue.Delivery, ev *queue.Event) bool {
			return d.Destination == "a" && ev.EventType == "object_updated"
		}},
		{"no such request", queue.Filter{RequestID: "00000000-0000-4000-9000-999999999999"}, func(queue.Delivery, *queue.Event) bool { return false }},
		{"no such event", queue.Filter{EventID: "nope"}, func(queue.Delivery, *queue.Event) bool { return false }},
	} {
		var want []string
		for _, d := range all {
			if tc.want(d, event[d.EventID]) {
				want = append(want, d.ID)
			}
		}
		if tc.f.Newest {
			slices.Reverse(want)
		}
		got, err := q.List(ctx, tc.f)
		must(t, err)
		if !slices.Equal(ids(got), want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: listed %v, want %v", tc.name, ids(got), want)
		}
	}
}

// testListNewestPaging: newest first, pages of 5 with and without a
// filter, and across a purge that removed the delivery a page ended on.
func testListNewestPaging(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	objectType := map[string]string{}
	for i := range 20 {
		ev := event(i)
		if i%4 == 0 {
			ev.ObjectType = "dcim.device"
		}
		objectType[ev.ID] = ev.ObjectType
		must(t, q.Enqueue(ctx, ev, []string{"a"}))
	}
	pages := func(f queue.Filter) []string {
		t.Helper()
		var out []string
		f.Limit, f.Newest = 5, true
		for range 10 {
			page, err := q.List(ctx, f)
			must(t, err)
			if len(page) == 0 {
				return out
			}
			out = append(out, ids(page)...)
			f.After = page[len(page)-1].ID
		}
		t.Fatal("paging does not end")
		return nil
	}
	all, err := q.List(ctx, queue.Filter{})
	must(t, err)
	slices.Reverse(all)
	want := ids(all)
	if got := pages(queue.Filter{}); !slices.Equal(got, want) {
		t.Fatalf("newest first: %v, want %v", got, want)
	}
	var devices []string
	for _, d := range all {
		if objectType[d.EventID] == "dcim.device" {
			devices = append(devices, d.ID)
		}
	}
	if got := pages(queue.Filter{ObjectType: "dcim.device"}); !slices.Equal(got, devices) {
		t.Fatalf("dcim.device, newest first: %v, want %v", got, devices)
	}

	// A page ends on a delivery that is then purged: the next page
	// starts after it all the same.
	last := want[2]
	c := claim(t, q, "a", 20, time.Minute)
	for _, x := range c {
		if x.ID == last {
			must(t, q.Fail(ctx, x.ID, attempt(400, "")))
		} else {
			must(t, q.Retry(ctx, x.ID, attempt(500, ""), time.Now().Add(time.Hour)))
		}
	}
	_, err = q.PurgeDead(ctx)
	must(t, err)
	next, err := q.List(ctx, queue.Filter{Newest: true, Limit: 3, After: last})
	must(t, err)
	if !slices.Equal(ids(next), want[3:6]) {
		t.Fatalf("after the purged %s: %v, want %v", last, ids(next), want[3:6])
	}
	var sites []string
	for _, id := range want[3:] {
		if i := slices.IndexFunc(all, func(d queue.Delivery) bool { return d.ID == id }); objectType[all[i].EventID] == "dcim.site" {
			sites = append(sites, id)
		}
	}
	next, err = q.List(ctx, queue.Filter{Newest: true, Limit: 3, After: last, ObjectType: "dcim.site"})
	must(t, err)
	if !slices.Equal(ids(next), sites[:3]) {
		t.Fatalf("dcim.site after the purged %s: %v, want %v", last, ids(next), sites[:3])
	}
}

// testListLongPages: with more deliveries than a store reads at once,
// filtered lists paged either way are the full list filtered, in order.
func testListLongPages(t *testing.T, open Opener) {
	ctx := context.Background()
	q, _ := open(t)
	const n = 300
	evs := make([]queue.Event, n)
	for i := range n {
		ev := event(i)
		if i%4 == 3 { // 150 deliveries: more than one read
			ev.EventType = "object_deleted"
		}
		evs[i] = *ev
	}
	for i := 0; i < n; i += 50 { // concurrent Enqueues share commits
		var wg sync.WaitGroup
		for j := i; j < i+50; j++ {
			wg.Add(1)
			dests := []string{"a", "b"}
			if j >= n-10 {
				dests = append(dests, "c") // found only after many others
			}
			go func() {
				defer wg.Done()
				must(t, q.Enqueue(ctx, &evs[j], dests))
			}()
		}
		wg.Wait()
	}
	all, err := q.List(ctx, queue.Filter{Limit: 3 * n})
	must(t, err)
	if len(all) != 2*n+10 {
		t.Fatalf("listed %d, want %d", len(all), 2*n+10)
	}
	eventType := map[string]string{}
	for _, ev := range evs {
		eventType[ev.ID] = ev.EventType
	}
	for _, tc := range []struct {
		f    queue.Filter
		want func(queue.Delivery) bool
	}{
		{queue.Filter{State: queue.Pending, Limit: 70}, func(queue.Delivery) bool { return true }},
		{queue.Filter{EventType: "object_deleted", Destination: "b", Limit: 7}, func(d queue.Delivery) bool {
			return d.Destination == "b" && eventType[d.EventID] == "object_deleted"
		}},
		{queue.Filter{ObjectType: "dcim.site", Destination: "a", Limit: 40}, func(d queue.Delivery) bool { return d.Destination == "a" }},
		{queue.Filter{ObjectType: "dcim.site", Destination: "c", Limit: 4}, func(d queue.Delivery) bool { return d.Destination == "c" }},
	} {
		for _, newest := range []bool{false, true} {
			var want []string
			for _, d := range all {
				if tc.want(d) {
					want = append(want, d.ID)
				}
			}
			if newest {
				slices.Reverse(want)
			}
			f := tc.f
			f.Newest = newest
			var got []string
			for range 3*n/f.Limit + 2 {
				page, err := q.List(ctx, f)
				must(t, err)
				if len(page) == 0 {
					break
				}
				got = append(got, ids(page)...)
				f.After = page[len(page)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%+v, newest %v: %d deliveries, want %d\ngot  %v\nwant %v", tc.f, newest, len(got), len(want), got, want)
			}
		}
	}
}
