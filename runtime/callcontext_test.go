package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startWatched returns a call context in a call whose caller's context can
// be canceled (so a watcher is on it), and the cancel function.
func startWatched(t *testing.T) (*callContext, context.CancelFunc) {
	t.Helper()
	c := new(callContext)
	c.init(&callState{})
	t.Cleanup(func() { c.timer.Stop() })
	parent, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	_, err := c.start(parent, time.Now(), time.Hour)
	require.NoError(t, err)
	return c, cancel
}

// TestLateWatcherSparesTheNextCall: a caller's context canceled just as
// its call ends starts the watcher, which cannot run before stop (it
// waits for mu here) and finds the next call running when it does. It
// must leave that call alone.
func TestLateWatcherSparesTheNextCall(t *testing.T) {
	c, cancel := startWatched(t)
	c.mu.Lock() // the watcher will wait here
	cancel()
	// Give the watcher time to start and block on mu.
	time.Sleep(20 * time.Millisecond)
	assert.False(t, c.stop(), "the first call ended before its watcher ran")
	_, err := c.start(context.Background(), time.Now(), time.Hour)
	require.NoError(t, err)
	c.mu.Unlock()

	time.Sleep(20 * time.Millisecond) // the watcher runs now
	assert.False(t, c.fired.Load(), "the first call's watcher stopped the second call")
	assert.False(t, c.stop())
}

// TestWatcherStopsItsCall: canceling the caller's context stops the call
// in progress.
func TestWatcherStopsItsCall(t *testing.T) {
	c, cancel := startWatched(t)
	cancel()
	require.Eventually(t, c.fired.Load, 5*time.Second, time.Millisecond)
	assert.True(t, c.canceled.Load())
	assert.True(t, c.stop())
}

// TestWallClockDeadlineMeetsAnotherClock: a caller's deadline without a
// monotonic reading is compared with the call's own deadline on the real
// clock, even when the call's start carries a wall reading that is not the
// system's (a start a caller of CallAt read from another clock; here,
// one hour ahead). Compared on wall readings, the caller's later deadline
// would replace the call's own time limit.
func TestWallClockDeadlineMeetsAnotherClock(t *testing.T) {
	c := new(callContext)
	c.init(&callState{})
	t.Cleanup(func() { c.timer.Stop() })
	now := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Minute).Round(0))
	t.Cleanup(cancel)
	_, err := c.start(parent, now, time.Second)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Second), c.deadline, "the caller's deadline, a minute away, replaced the call's limit of a second")
	c.stop()

	// A caller's deadline that is sooner than the limit still wins.
	now = time.Now()
	soon := now.Add(100 * time.Millisecond).Round(0)
	parent, cancel = context.WithDeadline(context.Background(), soon)
	t.Cleanup(cancel)
	_, err = c.start(parent, now, time.Minute)
	require.NoError(t, err)
	assert.WithinDuration(t, soon, c.deadline, 50*time.Millisecond)
	assert.True(t, c.deadline.Before(now.Add(time.Minute)))
	c.stop()
}
