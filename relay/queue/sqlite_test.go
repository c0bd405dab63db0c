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

func TestSQLite(t *testing.T) {
	queuetest.Suite(t, opener(queue.Options{}))
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

// TestMigrateV1: a queue file written by the first schema (committed,
// made by that version's code: three events to a and b, one delivery
// of each state with its attempt) opens as version 2 in place; what it
// held is there, its pending deliveries are claimed as before, and new
// events carry their request id.
func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	gz, err := os.ReadFile("testdata/queue-v1.db.gz")
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	file := filepath.Join(dir, queue.FileName)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	version := func() int {
		db := sqlOpen(t, file)
		defer db.Close()
		var v int
		require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
		return v
	}
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
	assert.Equal(t, 2, version())

	q, err = queue.Open(dir, queue.Options{}) // and again, as version 2
	require.NoError(t, err)
	got, _, _, err := q.Event(ctx, fresh.ID)
	require.NoError(t, err)
	assert.Equal(t, fresh.RequestID, got.RequestID)
	require.NoError(t, q.Close())
}

// TestListUsesIndexes: every filter the console offers is answered
// through an index or in the list's order: no plan step reads a whole
// table to filter it, and none sorts.
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
		{EventType: "object_created", After: "7"}, {ObjectType: "dcim.site", EventType: "object_created", State: queue.Dead, Newest: true},
		{EventID: "x"}, {RequestID: "x", Newest: true}, {RequestID: "x", Destination: "a", After: "7"},
	}
	for _, f := range filters {
		q, args, err := queue.ListQuery(f)
		require.NoError(t, err)
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			// Unfiltered, or by destination or event type alone (few
			// values, each common), the list reads in seq order and stops
			// at the page's end: the one scan allowed.
			inOrder := f.State == "" && f.ObjectType == "" && f.EventID == "" && f.RequestID == "" && (step == "SCAN d" || step == "SCAN e")
			scan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "USING") && !inOrder
			sort := strings.Contains(step, "TEMP B-TREE")
			assert.False(t, scan || sort, "%+v: %s\nplan: %s", f, step, strings.Join(plan, "; "))
		}
	}
}
