package queue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wasmhook/wasmhook/internal/redistest"
	"github.com/wasmhook/wasmhook/relay/queue"
	"github.com/wasmhook/wasmhook/relay/queue/queuetest"
)

var prefixes atomic.Int64

// freshPrefix is a key prefix no other test uses: tests share a server
// without meeting.
func freshPrefix() string { return fmt.Sprintf("t%d:", prefixes.Add(1)) }

func openRedis(t testing.TB, url string, opts queue.RedisOptions) *queue.Redis {
	t.Helper()
	q, err := queue.OpenRedis(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// redisOpener opens the queues of one subtest under a prefix of its own
// on the shared server s; reopen opens the same keys as a new process
// (another consumer name).
func redisOpener(s *redistest.Server) queuetest.Opener {
	return func(t *testing.T) (queue.Queue, func() queue.Queue) {
		opts := queue.RedisOptions{Prefix: freshPrefix()}
		open := func() queue.Queue { return openRedis(t, s.URL(), opts) }
		return open(), open
	}
}

func TestRedis(t *testing.T) {
	queuetest.Suite(t, redisOpener(redistest.Start(t)))
}

// rawClient is a plain client of s, to look at the queue's keys.
func rawClient(t testing.TB, s *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}
