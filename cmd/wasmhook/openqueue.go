package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/kv"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// openAdminQueue opens, for the queue commands, the queue a relay's
// configuration names: the embedded one in its data directory, beside a
// serve that may be delivering from it (queue.Options.Admin), or a Redis.
func openAdminQueue(ctx context.Context, cfg *relay.Config) (queue.Queue, error) {
	if cfg.Queue == "" {
		return queue.Open(cfg.DataDir, queue.Options{Admin: true})
	}
	return openRedis(ctx, cfg)
}

func openRedis(ctx context.Context, cfg *relay.Config) (*queue.Redis, error) {
	opts := queue.RedisOptions{Prefix: cfg.Redis.Prefix, Timeout: cfg.Redis.Timeout}
	if cfg.Redis.Password.IsSet() {
		p, err := cfg.Redis.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("redis.password: %w", err)
		}
		opts.Password = p
	}
	return queue.OpenRedis(ctx, cfg.Queue, opts)
}

// openServeQueue opens the queue serve delivers from: the embedded one,
// whose data directory it locks, or a Redis, which must not stop serve
// when it is away at start: serve says so in one line and answers 503
// (and a /readyz that says why) until a retry, every retryEvery, opens it.
func openServeQueue(ctx context.Context, cfg *relay.Config, logger *slog.Logger) (queue.Queue, error) {
	if cfg.Queue == "" {
		return queue.Open(cfg.DataDir, queue.Options{})
	}
	// go-redis reports each failed dial itself; the queue's errors say it
	// once, with the address and no password.
	redis.SetLogger(discardRedisLog{})
	q, err := openRedis(ctx, cfg)
	if err == nil {
		logger.Info("wasmhook serve: queue on Redis", "queue", cfg.QueueName(), "durability", q.Durability())
		return q, nil
	}
	if !errors.Is(err, queue.ErrUnavailable) {
		return nil, err
	}
	logger.Error("wasmhook serve: the queue is unavailable; requests get 503 until it opens", "error", err, "retry_every", retryEvery)
	l := &laterQueue{err: err}
	go l.retry(ctx, cfg, logger)
	return l, nil
}

// moduleStore is the store of modules' kv_* calls: nil (the enricher's
// own, in memory) on the embedded queue; on a Redis queue, the same Redis,
// so that every instance's modules share their state.
func moduleStore(cfg *relay.Config) (wasmhook.KV, func(), error) {
	if cfg.Queue == "" {
		return nil, func() {}, nil
	}
	opt, err := redis.ParseURL(cfg.Queue)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: %s", cfg.QueueName()) // ParseURL's words may hold the password
	}
	if cfg.Redis.Password.IsSet() {
		if opt.Password, err = cfg.Redis.Password.Resolve(); err != nil {
			return nil, nil, fmt.Errorf("redis.password: %w", err)
		}
	}
	timeout := cfg.Redis.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	prefix := cfg.Redis.Prefix
	if prefix == "" {
		prefix = "wasmhook:"
	}
	c := redis.NewClient(opt)
	return kv.NewRedis(c, prefix, kv.Limits{}), func() { c.Close() }, nil
}

// retryEvery is how often serve tries again to open a queue that was
// unavailable at start.
const retryEvery = 2 * time.Second

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}

// laterQueue is a Redis queue that could not be opened at start: its
// calls fail with the open's error (an ErrUnavailable) until a retry
// opens it, then go to it.
type laterQueue struct {
	q      atomic.Pointer[queue.Redis]
	err    error
	mu     sync.Mutex
	closed bool
}

var _ queue.Queue = (*laterQueue)(nil)

func (l *laterQueue) retry(ctx context.Context, cfg *relay.Config, logger *slog.Logger) {
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q, err := openRedis(ctx, cfg)
		if err != nil {
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			q.Close()
			return
		}
		l.q.Store(q)
		l.mu.Unlock()
		logger.Info("wasmhook serve: queue on Redis, opened", "queue", cfg.QueueName(), "durability", q.Durability())
		return
	}
}

// get is the open queue, or nil and the error to answer with.
func (l *laterQueue) get() (*queue.Redis, error) {
	if q := l.q.Load(); q != nil {
		return q, nil
	}
	return nil, l.err
}

func (l *laterQueue) Enqueue(ctx context.Context, ev *queue.Event, destinations []string) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Enqueue(ctx, ev, destinations)
}

func (l *laterQueue) Claim(ctx context.Context, destination string, max int, lease time.Duration) ([]queue.Claimed, error) {
	q, err := l.get()
	if err != nil {
		return nil, err
	}
	return q.Claim(ctx, destination, max, lease)
}

func (l *laterQueue) Succeeded(ctx context.Context, deliveryID string, a queue.Attempt) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Succeeded(ctx, deliveryID, a)
}

func (l *laterQueue) Retry(ctx context.Context, deliveryID string, a queue.Attempt, next time.Time) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Retry(ctx, deliveryID, a, next)
}

func (l *laterQueue) Fail(ctx context.Context, deliveryID string, a queue.Attempt) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Fail(ctx, deliveryID, a)
}

func (l *laterQueue) Replay(ctx context.Context, deliveryID string) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Replay(ctx, deliveryID)
}

func (l *laterQueue) Event(ctx context.Context, eventID string) (*queue.Event, []queue.Delivery, map[string][]queue.Attempt, error) {
	q, err := l.get()
	if err != nil {
		return nil, nil, nil, err
	}
	return q.Event(ctx, eventID)
}

func (l *laterQueue) List(ctx context.Context, f queue.Filter) ([]queue.Delivery, error) {
	q, err := l.get()
	if err != nil {
		return nil, err
	}
	return q.List(ctx, f)
}

func (l *laterQueue) ListPage(ctx context.Context, f queue.Filter) (queue.Page, error) {
	q, err := l.get()
	if err != nil {
		return queue.Page{}, err
	}
	return q.ListPage(ctx, f)
}

func (l *laterQueue) Stats(ctx context.Context) (queue.Stats, error) {
	q, err := l.get()
	if err != nil {
		return queue.Stats{}, err
	}
	return q.Stats(ctx)
}

func (l *laterQueue) PurgeDead(ctx context.Context) (int, error) {
	q, err := l.get()
	if err != nil {
		return 0, err
	}
	return q.PurgeDead(ctx)
}

func (l *laterQueue) PruneDelivered(ctx context.Context, before time.Time, max int) (int, error) {
	q, err := l.get()
	if err != nil {
		return 0, err
	}
	return q.PruneDelivered(ctx, before, max)
}

// Reclaimed is the open queue's count (see queue.Redis.Reclaimed).
func (l *laterQueue) Reclaimed() int64 {
	if q := l.q.Load(); q != nil {
		return q.Reclaimed()
	}
	return 0
}

func (l *laterQueue) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if q := l.q.Load(); q != nil {
		return q.Close()
	}
	return nil
}
