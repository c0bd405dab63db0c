package wasmhook

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestCostAverageComesDownAfterASlowCall: a callback whose first call took
// a millisecond and every later one 300 ns ends with an average near
// 300 ns, not stuck microseconds above it (25 callbacks stuck 2 µs high
// added up to the threshold of parallel runs), and one that became slower
// is followed up.
func TestCostAverageComesDownAfterASlowCall(t *testing.T) {
	var c atomic.Int64
	updateCost(&c, time.Millisecond)
	for range 1000 {
		updateCost(&c, 300*time.Nanosecond)
	}
	// The average settles within a quarter of itself, and 128 ns, of the cost.
	if got := time.Duration(c.Load()); got > (300+128)*time.Nanosecond*4/3 {
		t.Errorf("after 1000 calls of 300ns the average is %s", got)
	}
	for range 1000 {
		updateCost(&c, 20*time.Microsecond)
	}
	if got := time.Duration(c.Load()); got < (20*time.Microsecond-128)*4/5 {
		t.Errorf("after 1000 calls of 20µs the average is %s", got)
	}
	// Samples within a quarter of the average do not write it.
	before := c.Load()
	updateCost(&c, time.Duration(before)*6/5)
	updateCost(&c, time.Duration(before)*4/5)
	if c.Load() != before {
		t.Errorf("a sample within 20%% of the average moved it from %d to %d", before, c.Load())
	}
}
