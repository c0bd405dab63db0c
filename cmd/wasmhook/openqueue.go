package main

import (
	"context"

	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// openQueue opens the queue a relay's configuration names: the embedded
// one in its data directory, or a Redis.
func openQueue(_ context.Context, cfg *relay.Config) (queue.Queue, error) {
	return queue.Open(cfg.DataDir, queue.Options{})
}
