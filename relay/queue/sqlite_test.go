package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
