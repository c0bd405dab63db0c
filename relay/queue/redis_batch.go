package queue

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// A batcher sends the calls of one kind (records of attempts) that wait
// at the same moment as one script call: Redis pays a call's fixed cost
// (the round trip, the script's start, the append-only file's write)
// once per batch, not once per event. Nobody waits for a batch to fill:
// a runner takes what is there when it is free, so a lone call goes out
// at once and calls gather only while runners are busy, the way a
// database's group commit works.
type batcher struct {
	r      *Redis
	script *redis.Script
	head   []any // the script's arguments before the items'
	calls  chan *batchCall
	stop   chan struct{}
	wg     sync.WaitGroup
}

// batchCall is one caller's item: its arguments and where its reply goes.
type batchCall struct {
	ctx  context.Context
	op   string // for errors: "succeeded", "retry", "fail"
	args []any
	done chan error
}

const (
	// redisBatchMax is how many items one script call takes at most: a
	// script holds Redis for its whole run.
	redisBatchMax = 64
	// redisBatchRunners is how many batches of one kind are in flight at
	// once: Redis runs one while others are on the wire, and one event
	// loop's turn (one fsync, with appendfsync always) serves several.
	redisBatchRunners = 2
)

// errBatchReply is an item's reply of the wrong shape.
var errBatchReply = errors.New("a batch reply of another shape")

func newBatcher(r *Redis, script *redis.Script, head ...any) *batcher {
	b := &batcher{r: r, script: script, head: head, calls: make(chan *batchCall), stop: make(chan struct{})}
	for range redisBatchRunners {
		b.wg.Add(1)
		go b.run()
	}
	return b
}

// do sends args as one item of a batch and returns its reply as the
// queue's error (Redis.fail) for op.
func (b *batcher) do(ctx context.Context, op string, args []any) error {
	c := &batchCall{ctx: ctx, op: op, args: args, done: make(chan error, 1)}
	select {
	case b.calls <- c:
	case <-b.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		// The item may yet be done: as when a reply is lost.
		return ctx.Err()
	}
}

func (b *batcher) run() {
	defer b.wg.Done()
	batch := make([]*batchCall, 0, redisBatchMax)
	for {
		select {
		case c := <-b.calls:
			batch = append(batch[:0], c)
		case <-b.stop:
			return
		}
	gather:
		for len(batch) < redisBatchMax {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break gather
			}
		}
		b.exec(batch)
		clear(batch)
	}
}

// exec runs one batch. Items whose callers have gone (their context
// ended) are left out: nobody would hear whether they were done.
func (b *batcher) exec(batch []*batchCall) {
	live := batch[:0:0]
	n := len(b.head)
	for _, c := range batch {
		if c.ctx.Err() != nil {
			continue
		}
		live = append(live, c)
		n += len(c.args)
	}
	if len(live) == 0 {
		return
	}
	args := make([]any, 0, n)
	args = append(args, b.head...)
	for _, c := range live {
		args = append(args, c.args...)
	}
	// The batch runs for its callers together: it is not cut short by one
	// of them leaving, only by the client's own timeouts.
	res, err := b.script.Run(context.WithoutCancel(live[0].ctx), b.r.client, nil, args...).Slice()
	if err == nil && len(res) != len(live) {
		err = errBatchReply
	}
	for i, c := range live {
		switch {
		case errors.Is(err, errBatchReply):
			c.done <- b.r.corrupt(c.op, errBatchReply.Error())
		case err != nil:
			c.done <- b.r.fail(c.ctx, c.op, err)
		default:
			c.done <- b.r.itemErr(c.ctx, c.op, res[i])
		}
	}
}

// itemErr maps one item's reply: an integer is done, a string is the
// error the script met (its own, DUP or NOTFOUND, or Redis's).
func (r *Redis) itemErr(ctx context.Context, op string, x any) error {
	switch v := x.(type) {
	case int64:
		return nil
	case string:
		return r.fail(ctx, op, scriptError(v))
	}
	return r.corrupt(op, errBatchReply.Error())
}

// scriptError is an error a batch script caught for one item: a Redis
// error, as the client would have returned it alone.
type scriptError string

func (e scriptError) Error() string { return string(e) }

// RedisError marks it as Redis's answer (go-redis's redis.Error).
func (scriptError) RedisError() {}

// close stops the runners once their batches are done; calls not taken
// yet fail with ErrClosed.
func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}
