package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/internal/redistest"
)

// TestRedisCallSentTwice: a call the client sends again after a lost
// reply (same nonce) is done once: an Enqueue is not a duplicate, a
// record is not a second attempt. Another call with the same event id is
// a duplicate.
func TestRedisCallSentTwice(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.NoAppendOnly())
	q, err := OpenRedis(ctx, s.URL(), RedisOptions{Prefix: "twice:"})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ev := &Event{ID: "e1", Source: "netbox", Received: time.Now(), Payload: []byte("{}")}
	for i := range 2 {
		if err := q.enqueue(ctx, ev, []string{"a"}, "nonce-1"); err != nil {
			t.Fatalf("Enqueue sent %d times: %v", i+1, err)
		}
	}
	if err := q.enqueue(ctx, ev, []string{"a"}, "nonce-2"); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("another Enqueue of e1: %v, want ErrDuplicate", err)
	}
	c, err := q.Claim(ctx, "a", 10, time.Minute)
	if err != nil || len(c) != 1 {
		t.Fatalf("claim: %v %v, want the one delivery", c, err)
	}
	a := Attempt{At: time.Now(), Status: 503}
	for range 2 {
		if err := q.recordOnce(ctx, "retry", c[0].ID, a, Pending, time.Now().Add(time.Hour), "nonce-3"); err != nil {
			t.Fatal(err)
		}
	}
	_, ds, attempts, err := q.Event(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Attempts != 1 || len(attempts[c[0].ID]) != 1 {
		t.Fatalf("after a record sent twice: %+v, %d attempts kept, want 1", ds, len(attempts[c[0].ID]))
	}
	if st, err := q.Stats(ctx); err != nil || st.Events != 1 || st.Pending != 1 {
		t.Fatalf("stats %+v %v, want 1 event, 1 pending", st, err)
	}
}
