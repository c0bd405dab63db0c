package monoclock

import (
	"testing"
	"time"
)

// TestNowFollowsTheMonotonicClock: Now moves with time.Now's monotonic
// reading, and its own reading compares with time.Now's.
func TestNowFollowsTheMonotonicClock(t *testing.T) {
	before := time.Now()
	now := Now()
	after := time.Now()
	if now.Before(before) || now.After(after) {
		t.Fatalf("Now() = %v, outside [%v, %v]", now, before, after)
	}
	time.Sleep(10 * time.Millisecond)
	if d := Now().Sub(now); d < 10*time.Millisecond || d > 5*time.Second {
		t.Fatalf("10 ms of sleep measured as %v", d)
	}
	// The monotonic reading is kept: time.Since of a Now reading uses it.
	if d := time.Since(Now()); d < 0 || d > time.Second {
		t.Fatalf("time.Since(Now()) = %v", d)
	}
}

var sink time.Time

func BenchmarkNow(b *testing.B) {
	for b.Loop() {
		sink = Now()
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		sink = time.Now()
	}
}
