package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLateWatcherSparesTheNextCall: a caller's context canceled just as
// its call ends starts the watcher, which cannot run before stop (it
// waits for mu here) and finds the next call running when it does. It
// must leave that call alone.
func TestLateWatcherSparesTheNextCall(t *testing.T) {
	var c callContext
	c.init(&callState{})
	defer c.timer.Stop()

	parent, cancel := context.WithCancel(context.Background())
	_, err := c.start(parent, time.Now(), time.Hour)
	require.NoError(t, err)

	c.mu.Lock() // the watcher will wait here
	cancel()
	// Give the watcher time to start and block on mu.
	time.Sleep(20 * time.Millisecond)
	assert.False(t, c.stop(), "the first call ended before its watcher ran")
	_, err = c.start(context.Background(), time.Now(), time.Hour)
	require.NoError(t, err)
	c.mu.Unlock()

	time.Sleep(20 * time.Millisecond) // the watcher runs now
	assert.False(t, c.fired.Load(), "the first call's watcher stopped the second call")
	assert.False(t, c.stop())
}

// TestWatcherStopsItsCall: canceling the caller's context stops the call
// in progress.
func TestWatcherStopsItsCall(t *testing.T) {
	var c callContext
	c.init(&callState{})
	defer c.timer.Stop()

	parent, cancel := context.WithCancel(context.Background())
	_, err := c.start(parent, time.Now(), time.Hour)
	require.NoError(t, err)
	cancel()
	require.Eventually(t, c.fired.Load, 5*time.Second, time.Millisecond)
	assert.True(t, c.canceled.Load())
	assert.True(t, c.stop())
}
