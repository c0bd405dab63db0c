package queue_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/relay/queue"
	"github.com/wasmhook/wasmhook/relay/queue/queuetest"
)

func opener(opts queue.Options) queuetest.Opener {
	return func(t *testing.T) (queue.Queue, func() queue.Queue) {
		dir := t.TempDir()
		open := func() queue.Queue {
			q, err := queue.Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Close() })
			return q
		}
		return open(), open
	}
}

// TestSQLite runs the suite with pages that look at 5 deliveries: List
// goes through several pages for most filters, and must still be the
// whole list.
func TestSQLite(t *testing.T) {
	queuetest.Suite(t, opener(queue.Options{ListLook: 5}))
}

func sqlOpen(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestBatchWithFailedWrites: writes that fail inside a batch (duplicate
// events, deliveries not found) fail alone; the writes batched with them
// commit.
func TestBatchWithFailedWrites(t *testing.T) {
	q, err := queue.Open(t.TempDir(), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	ev := func(i int) *queue.Event {
		return &queue.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Source: "s", Received: time.Now(),
			ObjectType: "dcim.site", EventType: "object_created", Body: []byte(`{}`), Payload: []byte(`{}`)}
	}
	const n = 200
	var wg sync.WaitGroup
	var dups, missing atomic.Int64
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 16 {
				// Every event is enqueued twice, and a delivery that
				// does not exist is recorded in between.
				for range 2 {
					err := q.Enqueue(ctx, ev(i), []string{"a"})
					if errors.Is(err, queue.ErrDuplicate) {
						dups.Add(1)
					} else if err != nil {
						t.Error(err)
					}
				}
				if err := q.Succeeded(ctx, "999999", queue.Attempt{At: time.Now(), Status: 200}); errors.Is(err, queue.ErrNotFound) {
					missing.Add(1)
				} else {
					t.Errorf("succeeded on a delivery that is not there: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	st, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dups.Load() != n || missing.Load() != n || st.Events != n || st.Pending != n {
		t.Fatalf("duplicates %d, not found %d, stats %+v; want %d each", dups.Load(), missing.Load(), st, n)
	}
}

// unpack writes a gzipped queue file into a new data directory, and
// returns the directory and how to read the file's schema version.
func unpack(t *testing.T, gzFile string) (string, func() int) {
	dir := t.TempDir()
	gz, err := os.ReadFile(gzFile)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	file := filepath.Join(dir, queue.FileName)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	return dir, func() int {
		db := sqlOpen(t, file)
		defer db.Close()
		var v int
		require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
		return v
	}
}

// TestMigrateV1: a queue file written by the first schema (committed,
// made by that version's code: three events to a and b, one delivery
// of each state with its attempt) opens as version 3 in place; what it
// held is there, its pending deliveries are claimed as before, and new
// events carry their request id.
func TestMigrateV1(t *testing.T) {
	dir, version := unpack(t, "testdata/queue-v1.db.gz")
	require.Equal(t, 1, version())

	ctx := context.Background()
	q, err := queue.Open(dir, queue.Options{})
	require.NoError(t, err)
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{Events: 3, Pending: 4, Delivered: 1, Dead: 1, OldestPending: st.OldestPending}, st)
	ev, ds, attempts, err := q.Event(ctx, "00000000-0000-4000-8000-000000000001")
	require.NoError(t, err)
	assert.Equal(t, `{"event": "updated", "n": 1}`, string(ev.Body))
	assert.Equal(t, "", ev.RequestID, "no request id before version 2")
	require.Len(t, ds, 2)
	assert.Equal(t, queue.Dead, ds[0].State)
	require.Len(t, attempts[ds[0].ID], 1)
	assert.Equal(t, "gone", string(attempts[ds[0].ID][0].Response))
	dead, err := q.List(ctx, queue.Filter{State: queue.Dead, ObjectType: "dcim.site"})
	require.NoError(t, err)
	require.Len(t, dead, 1)
	require.NoError(t, q.Replay(ctx, dead[0].ID))
	c, err := q.Claim(ctx, "b", 10, time.Minute)
	require.NoError(t, err)
	assert.Len(t, c, 3, "the pending deliveries to b")

	fresh := &queue.Event{ID: "00000000-0000-4000-8000-000000000009", Source: "netbox", Received: time.Now(), ObjectType: "dcim.site",
		EventType: "object_created", Body: []byte(`{}`), Payload: []byte(`{}`), RequestID: "4e4ae1b9-53a5-4a2a-a0f6-5a2ba7c55b1b"}
	require.NoError(t, q.Enqueue(ctx, fresh, []string{"a"}))
	byRequest, err := q.List(ctx, queue.Filter{RequestID: fresh.RequestID})
	require.NoError(t, err)
	require.Len(t, byRequest, 1)
	assert.Equal(t, fresh.ID, byRequest[0].EventID)
	require.NoError(t, q.Close())
	assert.Equal(t, 3, version())

	q, err = queue.Open(dir, queue.Options{}) // and again, as version 3
	require.NoError(t, err)
	got, _, _, err := q.Event(ctx, fresh.ID)
	require.NoError(t, err)
	assert.Equal(t, fresh.RequestID, got.RequestID)
	require.NoError(t, q.Close())
}

// TestListUsesIndexes: every query a list page runs reads an index or
// the table in the list's order and stops at the page's end or at its
// bound (ListLook): no plan step reads a whole table or index to filter
// it, and none sorts. Stats, Event and PurgeDead read no table either. The queue never runs ANALYZE, so these plans,
// taken on an empty file, are those of a million events (the console
// benchmark, bench/console, times them there).
func TestListUsesIndexes(t *testing.T) {
	dir := t.TempDir()
	q, err := queue.Open(dir, queue.Options{})
	require.NoError(t, err)
	require.NoError(t, q.Close())
	db := sqlOpen(t, filepath.Join(dir, queue.FileName))
	defer db.Close()
	filters := []queue.Filter{
		{}, {Newest: true}, {After: "7"}, {Newest: true, After: "7"},
		{State: queue.Dead}, {State: queue.Pending, Newest: true, After: "7"},
		{Destination: "a", Newest: true}, {Destination: "a", After: "7"},
		{ObjectType: "dcim.site", Newest: true}, {ObjectType: "dcim.site", Newest: true, After: "7"},
		{EventType: "object_created", After: "7"}, {EventType: "job_failed", Newest: true},
		{ObjectType: "dcim.site", EventType: "object_created", State: queue.Dead, Newest: true},
		{State: queue.Delivered, Destination: "a", EventType: "job_failed", ObjectType: "core.job", Newest: true, After: "7"},
		{State: queue.Pending, Destination: "a"},
		{EventID: "x"}, {RequestID: "x", Newest: true}, {RequestID: "x", Destination: "a", After: "7"},
		{EventID: "x", State: queue.Dead, ObjectType: "dcim.site", Newest: true, After: "7"},
	}
	for _, f := range filters {
		qs, args, err := queue.ListQueries(f, 5)
		require.NoError(t, err)
		for i, q := range qs {
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args[i]...)
			require.NoError(t, err, q)
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
				plan = append(plan, detail)
			}
			rows.Close()
			for _, step := range plan {
				// Without a condition the list reads the table in
				// order and stops at the page's end; with only a
				// destination (not indexed), the probe found that no
				// more than ListLook deliveries are left to read.
				plain := queue.Filter{Newest: f.Newest, Destination: f.Destination}
				inOrder := (step == "SCAN d" || step == "SCAN deliveries") && f == plain
				scan := strings.HasPrefix(step, "SCAN ") && !inOrder
				sort := strings.Contains(step, "TEMP B-TREE")
				assert.False(t, scan || sort, "%+v: %s\nquery: %s\nplan: %s", f, step, q, strings.Join(plan, "; "))
			}
		}
	}
	for _, q := range queue.ReadQueries {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{"x"}
		}
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
		require.NoError(t, err, q)
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			// The counts table has a row per count.
			scan := strings.HasPrefix(detail, "SCAN ") && detail != "SCAN counts"
			assert.False(t, scan || strings.Contains(detail, "TEMP B-TREE"), "%s\nquery: %s", detail, q)
		}
		rows.Close()
	}
}

// TestMigrateV2: a queue file written by schema version 2 (committed,
// made by that version's code: six events of four object types and
// four event types to a and b, deliveries delivered, dead and retried)
// opens as version 3 in place: its counts are counted once, and the
// lists by object type, event type, destination and state find what
// they found before.
func TestMigrateV2(t *testing.T) {
	dir, version := unpack(t, "testdata/queue-v2.db.gz")
	require.Equal(t, 2, version())
	ctx := context.Background()
	q, err := queue.Open(dir, queue.Options{ListLook: 2})
	require.NoError(t, err)
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{Events: 6, Pending: 7, Delivered: 2, Dead: 2, OldestPending: st.OldestPending}, st)
	assert.Equal(t, time.Date(2026, 3, 6, 15, 11, 23, 0, time.UTC), st.OldestPending.UTC(), "event 1's: its delivery to b is retried")
	count := func(f queue.Filter) int {
		ds, err := q.List(ctx, f)
		require.NoError(t, err)
		return len(ds)
	}
	assert.Equal(t, 4, count(queue.Filter{ObjectType: "dcim.device"}))
	assert.Equal(t, 1, count(queue.Filter{EventType: "job_failed"}))
	assert.Equal(t, 1, count(queue.Filter{EventType: "job_failed", State: queue.Dead, Destination: "b"}))
	assert.Equal(t, 2, count(queue.Filter{ObjectType: "dcim.site", EventType: "object_created"}))
	assert.Equal(t, 1, count(queue.Filter{ObjectType: "dcim.device", State: queue.Dead, Destination: "a"}))
	assert.Equal(t, 2, count(queue.Filter{RequestID: "4e4ae1b9-53a5-4a2a-a0f6-000000000000", Destination: "b", Newest: true}))
	dead, err := q.List(ctx, queue.Filter{State: queue.Dead, Destination: "a"})
	require.NoError(t, err)
	require.NoError(t, q.Replay(ctx, dead[0].ID))
	st, err = q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, [3]int64{8, 2, 1}, [3]int64{st.Pending, st.Delivered, st.Dead})
	require.NoError(t, q.Close())
	assert.Equal(t, 3, version())

	db := sqlOpen(t, filepath.Join(dir, queue.FileName))
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'events_object_type'`).Scan(&n))
	assert.Zero(t, n, "version 2's index on events' object type is dropped")
}

// TestCountsKept: the counts Stats reads are those of the tables after
// every kind of write, batched with failing writes (duplicates, records
// of deliveries that do not exist), late records, replays, purges and
// prunes.
func TestCountsKept(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	q, err := queue.Open(dir, queue.Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer q.Close()
	ctx := context.Background()
	ev := func(i int) *queue.Event {
		return &queue.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Source: "s", Received: now.Add(time.Duration(i-1000) * time.Second),
			ObjectType: "dcim.site", EventType: "object_created", Body: []byte(`{}`), Payload: []byte(`{}`)}
	}
	check := func(when string) {
		t.Helper()
		st, err := q.Stats(ctx)
		require.NoError(t, err)
		db := sqlOpen(t, filepath.Join(dir, queue.FileName))
		defer db.Close()
		var want queue.Stats
		require.NoError(t, db.QueryRow(`SELECT (SELECT count(*) FROM events),
			(SELECT count(*) FROM deliveries WHERE state = 'pending'),
			(SELECT count(*) FROM deliveries WHERE state = 'delivered'),
			(SELECT count(*) FROM deliveries WHERE state = 'dead')`).Scan(&want.Events, &want.Pending, &want.Delivered, &want.Dead))
		want.OldestPending = st.OldestPending
		assert.Equal(t, want, st, when)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < 120; i += 8 {
				q.Enqueue(ctx, ev(i), []string{"a", "b", "c"}[:1+i%3])
				q.Enqueue(ctx, ev(i), []string{"a"}) // a duplicate, in the same batches
				q.Succeeded(ctx, "999999", queue.Attempt{Status: 200})
			}
		}()
	}
	wg.Wait()
	check("after enqueues and failed writes")
	a := queue.Attempt{At: now, Status: 500}
	for _, dest := range []string{"a", "b", "c"} {
		c, err := q.Claim(ctx, dest, 1000, time.Minute)
		require.NoError(t, err)
		for i, x := range c {
			switch i % 4 {
			case 0:
				require.NoError(t, q.Succeeded(ctx, x.ID, a))
				require.NoError(t, q.Fail(ctx, x.ID, a), "a late Fail leaves it delivered")
			case 1:
				require.NoError(t, q.Fail(ctx, x.ID, a))
				require.NoError(t, q.Fail(ctx, x.ID, a), "dead twice")
			case 2:
				require.NoError(t, q.Retry(ctx, x.ID, a, now.Add(time.Hour)))
			case 3:
				require.NoError(t, q.Fail(ctx, x.ID, a))
				require.NoError(t, q.Succeeded(ctx, x.ID, a), "a late success of a dead delivery")
			}
		}
	}
	check("after records")
	dead, err := q.List(ctx, queue.Filter{State: queue.Dead, Limit: 10})
	require.NoError(t, err)
	for _, d := range dead {
		require.NoError(t, q.Replay(ctx, d.ID))
	}
	check("after replays")
	_, err = q.PurgeDead(ctx)
	require.NoError(t, err)
	check("after a purge")
	n, err := q.PruneDelivered(ctx, now, 1000)
	require.NoError(t, err)
	require.NotZero(t, n)
	check("after a prune")
	require.NoError(t, q.Close())
	q, err = queue.Open(dir, queue.Options{})
	require.NoError(t, err)
	check("reopened")
}

// TestListPartialPages: a filter of several conditions whose deliveries
// are sparse among those of each condition alone is listed in pages
// that look at ListLook deliveries at most: some pages come back short,
// saying where they stopped, and the pages together are the whole list.
// A filter of one indexed condition is answered whole by its index.
func TestListPartialPages(t *testing.T) {
	q, err := queue.Open(t.TempDir(), queue.Options{ListLook: 4})
	require.NoError(t, err)
	defer q.Close()
	ctx := context.Background()
	var want []string
	for i := range 60 {
		ev := &queue.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Source: "s", Received: time.Now(),
			ObjectType: "dcim.site", EventType: "object_updated", Body: []byte(`{}`), Payload: []byte(`{}`)}
		if i%10 == 3 {
			ev.ObjectType = "dcim.device"
		}
		if i%10 == 7 || i%20 == 3 {
			ev.EventType = "object_deleted"
		}
		require.NoError(t, q.Enqueue(ctx, ev, []string{"a", "b"}))
	}
	all, err := q.List(ctx, queue.Filter{Limit: 1000, Newest: true})
	require.NoError(t, err)
	for _, d := range all {
		if d.ObjectType == "dcim.device" && d.EventType == "object_deleted" {
			want = append(want, d.ID) // events 3, 23 and 43
		}
	}
	require.Len(t, want, 6)
	f := queue.Filter{ObjectType: "dcim.device", EventType: "object_deleted", Newest: true, Limit: 4}
	var got []string
	partial := 0
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "paging does not end")
		p, err := q.ListPage(ctx, f)
		require.NoError(t, err)
		got = append(got, ids(p.Deliveries)...)
		if p.Partial {
			partial++
			assert.Less(t, len(p.Deliveries), f.Limit, "a partial page is short")
			assert.NotEmpty(t, p.Next)
		}
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	assert.Equal(t, want, got)
	assert.NotZero(t, partial, "device deletions are sparse among 4 deliveries of devices or of deletions")
	byList, err := q.List(ctx, queue.Filter{ObjectType: "dcim.device", EventType: "object_deleted", Newest: true})
	require.NoError(t, err)
	assert.Equal(t, want, ids(byList), "List goes on through partial pages")

	for _, f := range []queue.Filter{{ObjectType: "dcim.device"}, {EventType: "object_deleted", Newest: true}, {State: queue.Pending}} {
		f.Limit = 10
		p, err := q.ListPage(ctx, f)
		require.NoError(t, err)
		assert.False(t, p.Partial, "%+v", f)
		assert.Len(t, p.Deliveries, 10, "%+v: one condition, read through its index", f)
	}
	// Destinations have no index: the page reads the table, 4 rows.
	p, err := q.ListPage(ctx, queue.Filter{Destination: "b", Limit: 10})
	require.NoError(t, err)
	assert.True(t, p.Partial)
	assert.Len(t, p.Deliveries, 2, "b's among deliveries 1 to 4")
	assert.Equal(t, "4", p.Next)
}

func ids(ds []queue.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// TestAdminOpensBesideTheOwner: the process that delivers holds the data
// directory; a second one is refused with ErrInUse naming the file. An
// Admin open beside it (the queue commands) leaves its claims alone, and
// its writes are the owner's to see. Once the owner closes, the next one
// makes the claims it left due again.
func TestAdminOpensBesideTheOwner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	owner, err := queue.Open(dir, queue.Options{})
	must(t, err)
	defer owner.Close()
	for _, id := range []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"} {
		must(t, owner.Enqueue(ctx, &queue.Event{ID: id, Source: "s", Received: time.Now(), Body: []byte(`{}`), Payload: []byte(`{}`)}, []string{"a"}))
	}
	claimed, err := owner.Claim(ctx, "a", 1, time.Hour)
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(claimed))
	}

	_, err = queue.Open(dir, queue.Options{})
	var qe *queue.Error
	if !errors.Is(err, queue.ErrInUse) || !errors.As(err, &qe) || qe.File != filepath.Join(dir, queue.FileName) {
		t.Fatalf("a second owner: %v, want ErrInUse naming the file", err)
	}
	for range 2 {
		admin, err := queue.Open(dir, queue.Options{Admin: true})
		must(t, err)
		st, err := admin.Stats(ctx)
		must(t, err)
		if st.Pending != 2 {
			t.Fatalf("admin sees %+v, want 2 pending", st)
		}
		must(t, admin.Close())
	}
	again, err := owner.Claim(ctx, "a", 2, time.Hour)
	must(t, err)
	if len(again) != 1 || again[0].ID == claimed[0].ID {
		t.Fatalf("after the admin opens, the owner claimed %+v; want only the delivery not claimed before", again)
	}

	must(t, owner.Close())
	next, err := queue.Open(dir, queue.Options{})
	must(t, err)
	defer next.Close()
	due, err := next.Claim(ctx, "a", 2, time.Hour)
	must(t, err)
	if len(due) != 2 {
		t.Fatalf("the next owner claimed %d, want both deliveries the last one left claimed", len(due))
	}
}

// TestCancelledWrites: a write whose ctx ends may still run on the
// batcher's goroutine after its call has returned; the calls that read
// what a write found (PruneDelivered, PurgeDead, Claim) must not race
// with it. Run with -race: the relay's prune loop, stopping, did.
func TestCancelledWrites(t *testing.T) {
	q, err := queue.Open(t.TempDir(), queue.Options{})
	must(t, err)
	defer q.Close()
	bg := context.Background()
	for i := range 50 {
		must(t, q.Enqueue(bg, &queue.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Source: "s",
			Received: time.Now().Add(-time.Hour), Body: []byte(`{}`), Payload: []byte(`{}`)}, []string{"a"}))
	}
	for i := range 200 {
		// ctx ends while the write is queued or running, at a time
		// that moves from call to call.
		ctx, cancel := context.WithTimeout(bg, time.Duration(i%20)*50*time.Microsecond)
		q.PruneDelivered(ctx, time.Now(), 10)
		q.PurgeDead(ctx)
		q.Claim(ctx, "a", 1, time.Millisecond)
		cancel()
	}
	n, err := q.PruneDelivered(bg, time.Now(), 100)
	must(t, err)
	t.Logf("%d events pruned after", n)
}
