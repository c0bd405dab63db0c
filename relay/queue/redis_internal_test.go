package queue

import (
	"context"
	"errors"
	"strings"
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

// TestRedisBatch: the records of one batch (one script call) get one
// reply each: an unknown delivery or a key Redis refuses fails its own
// record only, the others are done; a record whose caller has gone is
// left out. An event key Redis refuses fails its Enqueue with Redis's
// reason, not as a duplicate.
func TestRedisBatch(t *testing.T) {
	ctx := context.Background()
	s := redistest.Start(t, redistest.NoAppendOnly())
	q, err := OpenRedis(ctx, s.URL(), RedisOptions{Prefix: "batch:"})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// Keys of another type: Redis refuses HGET and HMGET on them (WRONGTYPE).
	for _, k := range []string{"batch:e:bad", "batch:d:999998"} {
		if err := q.client.Set(ctx, k, "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	enqueue := func(id string) error {
		return q.Enqueue(ctx, &Event{ID: id, Source: "netbox", Received: time.Now(), Payload: []byte(`{}`)}, []string{"a"})
	}
	for _, id := range []string{"e1", "e2", "e3", "e4"} {
		if err := enqueue(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := enqueue("e1"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("e1 again: %v, want ErrDuplicate", err)
	}
	if err := enqueue("bad"); err == nil || errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("bad: %v, want Redis's WRONGTYPE", err)
	}
	c, err := q.Claim(ctx, "a", 10, time.Minute)
	if err != nil || len(c) != 4 {
		t.Fatalf("claim: %v %v", c, err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	rec := func(ctx context.Context, id string, st State, nonce string) *batchCall {
		return &batchCall{ctx: ctx, op: "succeeded", done: make(chan error, 1), args: []any{id, string(st), nonce,
			encodeAttempt(Attempt{At: time.Now(), Status: 200}), 200, "", 0, 0}}
	}
	rs := []*batchCall{rec(ctx, c[0].ID, Delivered, "r1"), rec(ctx, "999999", Delivered, "r2"),
		rec(ctx, "999998", Delivered, "r3"), rec(gone, c[1].ID, Delivered, "r4"), rec(ctx, c[2].ID, Dead, "r5")}
	q.records.exec(rs)
	if err := <-rs[0].done; err != nil {
		t.Errorf("record 1: %v", err)
	}
	if err := <-rs[1].done; !errors.Is(err, ErrNotFound) {
		t.Errorf("record of no delivery: %v, want ErrNotFound", err)
	}
	if err := <-rs[2].done; err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("record of a key of another type: %v, want Redis's WRONGTYPE", err)
	}
	if len(rs[3].done) != 0 {
		t.Error("the record whose caller had gone got a reply")
	}
	if err := <-rs[4].done; err != nil {
		t.Errorf("record 5: %v", err)
	}
	if st, err := q.Stats(ctx); err != nil || st.Events != 4 || st.Pending != 2 || st.Delivered != 1 || st.Dead != 1 {
		t.Fatalf("stats %+v %v, want 4 events: 2 pending, 1 delivered, 1 dead", st, err)
	}
}
