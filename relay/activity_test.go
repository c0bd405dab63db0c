package relay

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
)

// TestActivity: counts land in their minute, the hour and the day add
// them up, a minute a day old is forgotten when its slot comes round
// again, and a callback's p50 and p99 are within a fifth of the times
// recorded.
func TestActivity(t *testing.T) {
	now := time.Date(2026, 3, 6, 15, 11, 23, 0, time.UTC)
	a := newActivity([]string{"crm", "inventory"})
	a.now = func() time.Time { return now }

	a.received()
	a.received()
	a.attempt("crm", "delivered")
	a.attempt("inventory", "retry")
	a.attempt("inventory", "dead")
	a.attempt("gone", "delivered") // a destination no longer configured: counted in the totals
	res := &wasmhook.Result{}
	for i := range 100 {
		res.Reports = []wasmhook.Report{{Callback: "geo", Duration: time.Duration(i+1) * time.Millisecond}}
		if i%10 == 0 {
			res.Reports[0].Err = errors.New("boom")
		}
		a.enriched(res)
	}
	now = now.Add(2 * time.Hour) // out of the hour, still in the day
	a.received()

	s := a.snapshot()
	require.Len(t, s.Minutes, 60)
	require.Len(t, s.Quarters, 96)
	assert.Equal(t, Counts{At: s.Hour.At, Received: 1}, s.Hour)
	assert.Equal(t, Counts{Received: 3, Delivered: 2, Retried: 1, Dead: 1}, s.Day)
	assert.Equal(t, int64(1), s.Minutes[59].Received, "the current minute is the last")
	require.Len(t, s.Destinations, 2)
	assert.Equal(t, DestinationActivity{Name: "crm", Day: Counts{Delivered: 1}}, s.Destinations[0])
	assert.Equal(t, DestinationActivity{Name: "inventory", Day: Counts{Retried: 1, Dead: 1}}, s.Destinations[1])
	require.Len(t, s.Callbacks, 1)
	geo := s.Callbacks[0]
	assert.Equal(t, Latency{}, geo.Hour, "two hours later, the last hour has no call")
	assert.Equal(t, int64(100), geo.Day.Calls)
	assert.Equal(t, int64(10), geo.Day.Failures)
	assert.InEpsilon(t, 50*time.Millisecond, geo.Day.P50, 0.2)
	assert.InEpsilon(t, 99*time.Millisecond, geo.Day.P99, 0.2)

	// A day and a minute after the first counts, their slot is reused.
	now = now.Add(22*time.Hour + time.Minute)
	a.received()
	s = a.snapshot()
	assert.Equal(t, Counts{Received: 2}, s.Day, "the first minute's counts are a day old: gone")
	assert.Equal(t, int64(0), s.Callbacks[0].Day.Calls)
}

// TestLatencyBuckets: every duration falls in a bucket whose middle is
// within a fifth of it.
func TestLatencyBuckets(t *testing.T) {
	for d := time.Duration(1); d < 10*time.Hour; d = d*9/8 + 1 {
		b := latencyBucket(d)
		require.Less(t, b, latencyBuckets)
		assert.InEpsilon(t, float64(d), float64(bucketValue(b)), 0.2, "%v in bucket %d (%v)", d, b, bucketValue(b))
	}
	assert.Equal(t, latencyBuckets-1, latencyBucket(1000*time.Hour))
	assert.Equal(t, 0, latencyBucket(-time.Second))
}
