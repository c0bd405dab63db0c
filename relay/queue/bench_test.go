package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/internal/redistest"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// The W1-sized event: a NetBox body of 1.7 KiB and its enriched payload
// of 3.5 KiB, one destination.
var (
	benchBody    = bytes.Repeat([]byte("b"), 1741)
	benchPayload = bytes.Repeat([]byte("p"), 3584)
	benchSeq     atomic.Int64
)

func benchEvent() *queue.Event {
	return &queue.Event{
		ID:         fmt.Sprintf("bench-%d", benchSeq.Add(1)),
		Source:     "netbox",
		Received:   time.Now(),
		ObjectType: "dcim.site",
		EventType:  "object_created",
		RequestID:  fmt.Sprintf("00000000-0000-4000-8000-%012d", benchSeq.Load()),
		Body:       benchBody,
		Payload:    benchPayload,
	}
}

var syncModes = []struct {
	name string
	sync queue.Sync
}{{"full", queue.SyncFull}, {"normal", queue.SyncNormal}}

func benchOpen(b *testing.B, sync queue.Sync) *queue.SQLite {
	q, err := queue.Open(b.TempDir(), queue.Options{Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	return q
}

// fsyncModes are the Redis servers' appendfsync settings benchmarked:
// always (acknowledged = on disk, like synchronous=FULL) and everysec
// (like NORMAL: a crash of the host loses up to a second).
var fsyncModes = []string{"always", "everysec"}

// benchOpenRedis opens a Redis queue on s under a prefix of its own.
func benchOpenRedis(b *testing.B, s *redistest.Server) *queue.Redis {
	q, err := queue.OpenRedis(context.Background(), s.URL(), queue.RedisOptions{Prefix: freshPrefix()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close() })
	return q
}

// BenchmarkEnqueue: Enqueue from 1 and 8 goroutines, durable
// (synchronous=FULL, appendfsync always) and not (NORMAL, everysec);
// with 8, the batcher (Redis's event loop) shares each commit's fsync.
// The -3dests cases give each event three destinations, as a relay with
// a few receivers has: each index on deliveries costs three entries.
func BenchmarkEnqueue(b *testing.B) {
	ctx := context.Background()
	for _, m := range syncModes {
		for _, g := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/g%d", m.name, g), func(b *testing.B) {
				q := benchOpen(b, m.sync)
				b.ReportAllocs()
				b.ResetTimer()
				enqueue(ctx, b, q, b.N, g)
			})
		}
		b.Run(m.name+"/g8-3dests", func(b *testing.B) {
			q := benchOpen(b, m.sync)
			b.ReportAllocs()
			b.ResetTimer()
			enqueue(ctx, b, q, b.N, 8, "a", "b", "c")
		})
	}
	for _, m := range fsyncModes {
		s := redistest.Start(b, redistest.AppendFsync(m))
		for _, g := range []int{1, 8} {
			b.Run(fmt.Sprintf("redis-%s/g%d", m, g), func(b *testing.B) {
				q := benchOpenRedis(b, s)
				b.ReportAllocs()
				b.ResetTimer()
				enqueue(ctx, b, q, b.N, g)
			})
		}
	}
}

// BenchmarkClaimSucceeded: one Claim of one delivery and its Succeeded,
// from one worker, on a queue holding b.N due deliveries (SQLite, then
// Redis).
func BenchmarkClaimSucceeded(b *testing.B) {
	ctx := context.Background()
	for _, m := range syncModes {
		b.Run(m.name, func(b *testing.B) {
			q := benchOpen(b, m.sync)
			enqueue(ctx, b, q, b.N, 8)
			a := queue.Attempt{At: time.Now(), Status: 200, Latency: time.Millisecond, Response: []byte("ok")}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c, err := q.Claim(ctx, "a", 1, time.Minute)
				if err != nil || len(c) != 1 {
					b.Fatal(len(c), err)
				}
				if err := q.Succeeded(ctx, c[0].ID, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, m := range fsyncModes {
		s := redistest.Start(b, redistest.AppendFsync(m))
		b.Run("redis-"+m, func(b *testing.B) {
			q := benchOpenRedis(b, s)
			enqueue(ctx, b, q, b.N, 8)
			a := queue.Attempt{At: time.Now(), Status: 200, Latency: time.Millisecond, Response: []byte("ok")}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c, err := q.Claim(ctx, "a", 1, time.Minute)
				if err != nil || len(c) != 1 {
					b.Fatal(len(c), err)
				}
				if err := q.Succeeded(ctx, c[0].ID, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchSetup checks what the benchmarks measure: the deliveries they
// enqueue are claimable with the bench payload, and recorded.
func TestBenchSetup(t *testing.T) {
	ctx := context.Background()
	sq, err := queue.Open(t.TempDir(), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	s := redistest.Start(t, redistest.AppendFsync("everysec"))
	for name, q := range map[string]queue.Queue{"sqlite": sq, "redis": openRedis(t, s.URL(), queue.RedisOptions{Prefix: freshPrefix()})} {
		if err := q.Enqueue(ctx, benchEvent(), []string{"a"}); err != nil {
			t.Fatal(name, err)
		}
		c, err := q.Claim(ctx, "a", 1, time.Minute)
		if err != nil || len(c) != 1 || !bytes.Equal(c[0].Payload, benchPayload) {
			t.Fatalf("%s claim: %v %v", name, c, err)
		}
		if err := q.Succeeded(ctx, c[0].ID, queue.Attempt{Status: 200}); err != nil {
			t.Fatal(name, err)
		}
		if st, _ := q.Stats(ctx); st.Delivered != 1 {
			t.Fatalf("%s stats %+v", name, st)
		}
	}
}

// enqueue enqueues n benchmark events, with one due delivery each (to
// "a", or to each of dests), from g goroutines.
func enqueue(ctx context.Context, b *testing.B, q queue.Queue, n, g int, dests ...string) {
	if len(dests) == 0 {
		dests = []string{"a"}
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := q.Enqueue(ctx, benchEvent(), dests); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
