package relay

import (
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook"
)

// activity counts what this instance did, per minute over the last day,
// for the console's overview: events received, deliveries delivered,
// retried and dead, attempts per destination, and each callback's call
// times (for p50 and p99) and failures. It is in memory and starts empty
// with the process: Prometheus (/metrics) keeps the long history. Every
// count is an atomic add into the slot of the current minute; a slot is
// cleared, under a lock, by the first count of a new minute.
type activity struct {
	start time.Time
	now   func() time.Time

	mu           sync.Mutex // clears slots
	minutes      [dayMinutes]countSlot
	destinations map[string]*destActivity // fixed at New: read without a lock
	callbacks    sync.Map                 // callback name -> *callbackActivity
}

const (
	dayMinutes = 24 * 60
	// latencyBuckets: four per power of two of nanoseconds (a bucket's
	// bounds are within 19% of each other), up to 2^45 ns (about 10 h).
	latencyBuckets = 46 * 4
)

// countSlot is one minute's counts.
type countSlot struct {
	minute                               atomic.Int64 // the Unix minute it holds
	received, delivered, retried, failed atomic.Int64 // failed: deliveries dead
}

type destActivity struct {
	minutes [dayMinutes]destSlot
}

// destSlot is one minute of attempts to one destination.
type destSlot struct {
	minute                     atomic.Int64
	delivered, retried, failed atomic.Int64
}

// callbackActivity keeps a callback's call times as histograms: one per
// minute of the last hour, one per hour of the last day.
type callbackActivity struct {
	minutes [60]latencySlot
	hours   [24]latencySlot
}

type latencySlot struct {
	at              atomic.Int64 // the Unix minute or hour it holds
	calls, failures atomic.Int64
	buckets         [latencyBuckets]atomic.Uint32
}

func newActivity(destinations []string) *activity {
	a := &activity{start: time.Now(), now: time.Now, destinations: map[string]*destActivity{}}
	for _, d := range destinations {
		a.destinations[d] = new(destActivity)
	}
	return a
}

// slotFor returns the slot of minute m in ring, cleared first when it
// held an older minute.
func slotFor[S any](a *activity, ring []S, m int64, at func(*S) *atomic.Int64, clear func(*S)) *S {
	s := &ring[m%int64(len(ring))]
	if at(s).Load() != m {
		a.mu.Lock()
		if at(s).Load() != m {
			clear(s)
			at(s).Store(m)
		}
		a.mu.Unlock()
	}
	return s
}

func (a *activity) counts(now time.Time) *countSlot {
	return slotFor(a, a.minutes[:], now.Unix()/60, func(s *countSlot) *atomic.Int64 { return &s.minute }, func(s *countSlot) {
		s.received.Store(0)
		s.delivered.Store(0)
		s.retried.Store(0)
		s.failed.Store(0)
	})
}

// received counts an accepted event.
func (a *activity) received() { a.counts(a.now()).received.Add(1) }

// attempt counts an attempt's outcome: "delivered", "retry" or "dead"
// (the words of wasmhook_delivery_attempts_total).
func (a *activity) attempt(destination, outcome string) {
	now := a.now()
	c := a.counts(now)
	var s *destSlot
	if d := a.destinations[destination]; d != nil {
		s = slotFor(a, d.minutes[:], now.Unix()/60, func(s *destSlot) *atomic.Int64 { return &s.minute }, func(s *destSlot) {
			s.delivered.Store(0)
			s.retried.Store(0)
			s.failed.Store(0)
		})
	}
	switch outcome {
	case "delivered":
		c.delivered.Add(1)
		if s != nil {
			s.delivered.Add(1)
		}
	case "retry":
		c.retried.Add(1)
		if s != nil {
			s.retried.Add(1)
		}
	default:
		c.failed.Add(1)
		if s != nil {
			s.failed.Add(1)
		}
	}
}

// enriched counts each callback's call of one event.
func (a *activity) enriched(res *wasmhook.Result) {
	now := a.now()
	minute, hour := now.Unix()/60, now.Unix()/3600
	for i := range res.Reports {
		rep := &res.Reports[i]
		v, ok := a.callbacks.Load(rep.Callback)
		if !ok {
			v, _ = a.callbacks.LoadOrStore(rep.Callback, new(callbackActivity))
		}
		cb := v.(*callbackActivity)
		b := latencyBucket(rep.Duration)
		a.latency(cb.minutes[:], minute).add(b, rep.Err != nil)
		a.latency(cb.hours[:], hour).add(b, rep.Err != nil)
	}
}

func (s *latencySlot) add(bucket int, failed bool) {
	s.calls.Add(1)
	if failed {
		s.failures.Add(1)
	}
	s.buckets[bucket].Add(1)
}

func (a *activity) latency(ring []latencySlot, at int64) *latencySlot {
	return slotFor(a, ring, at, func(s *latencySlot) *atomic.Int64 { return &s.at }, func(s *latencySlot) {
		s.calls.Store(0)
		s.failures.Store(0)
		for i := range s.buckets {
			s.buckets[i].Store(0)
		}
	})
}

// latencyBucket is d's histogram bucket: the position of its highest bit
// and the two bits after it.
func latencyBucket(d time.Duration) int {
	ns := uint64(max(d, 0))
	if ns < 8 {
		return int(ns)
	}
	n := bits.Len64(ns) // >= 4
	b := n*4 + int(ns>>(n-3))&3
	return min(b, latencyBuckets-1)
}

// bucketValue is the middle of bucket b's range.
func bucketValue(b int) time.Duration {
	if b < 8 {
		return time.Duration(b)
	}
	n, sub := b/4, uint64(b%4)
	lo := (4 + sub) << (n - 3)
	return time.Duration(lo + (1<<(n-3))/2)
}

// Counts are one period's counts.
type Counts struct {
	// At is the period's start.
	At time.Time
	// Received counts the events accepted; Delivered, Retried and Dead
	// the attempts that delivered, failed with another attempt to come,
	// and failed for good.
	Received, Delivered, Retried, Dead int64
}

func (c *Counts) add(o Counts) {
	c.Received += o.Received
	c.Delivered += o.Delivered
	c.Retried += o.Retried
	c.Dead += o.Dead
}

// DestinationActivity is one destination's attempts over the last hour
// and the last day.
type DestinationActivity struct {
	Name      string
	Hour, Day Counts
}

// Latency is a callback's calls over a period: how many, how many
// failed, and the median and 99th percentile of their times (each
// within a fifth of the true value: the middle of a histogram bucket).
type Latency struct {
	Calls, Failures int64
	P50, P99        time.Duration
}

// CallbackActivity is one callback's calls over the last hour and the
// last day.
type CallbackActivity struct {
	Name      string
	Hour, Day Latency
}

// Activity is what this instance did since it started (Since), at most
// over the last day: the relay keeps it in memory for the console.
type Activity struct {
	// Since is when this instance started counting.
	Since time.Time
	// Minutes are the last 60 minutes, oldest first; Quarters the last
	// 96 quarters of an hour (a day), oldest first.
	Minutes, Quarters []Counts
	// Hour and Day add them up.
	Hour, Day    Counts
	Destinations []DestinationActivity // in name order
	Callbacks    []CallbackActivity    // in name order
}

// snapshot reads the counts.
func (a *activity) snapshot() Activity {
	now := a.now()
	cur := now.Unix() / 60
	out := Activity{Since: a.start}
	read := func(m int64) Counts {
		s := &a.minutes[m%dayMinutes]
		c := Counts{At: time.Unix(m*60, 0)}
		if s.minute.Load() == m {
			c.Received, c.Delivered, c.Retried, c.Dead = s.received.Load(), s.delivered.Load(), s.retried.Load(), s.failed.Load()
		}
		return c
	}
	for m := cur - 59; m <= cur; m++ {
		c := read(m)
		out.Minutes = append(out.Minutes, c)
		out.Hour.add(c)
	}
	// Quarters end with the current one.
	firstQ := cur/15 - 95
	for q := firstQ; q <= cur/15; q++ {
		c := Counts{At: time.Unix(q*15*60, 0)}
		for m := q * 15; m < q*15+15 && m <= cur; m++ {
			c.add(read(m)) // zero for a minute the ring no longer holds
		}
		out.Quarters = append(out.Quarters, c)
		out.Day.add(c)
	}
	for _, name := range slices.Sorted(maps.Keys(a.destinations)) {
		d := a.destinations[name]
		da := DestinationActivity{Name: name}
		for m := cur - dayMinutes + 1; m <= cur; m++ {
			s := &d.minutes[m%dayMinutes]
			if s.minute.Load() != m {
				continue
			}
			c := Counts{Delivered: s.delivered.Load(), Retried: s.retried.Load(), Dead: s.failed.Load()}
			da.Day.add(c)
			if m > cur-60 {
				da.Hour.add(c)
			}
		}
		out.Destinations = append(out.Destinations, da)
	}
	a.callbacks.Range(func(k, v any) bool {
		cb := v.(*callbackActivity)
		out.Callbacks = append(out.Callbacks, CallbackActivity{
			Name: k.(string),
			Hour: latencyOf(cb.minutes[:], cur-59, cur),
			Day:  latencyOf(cb.hours[:], now.Unix()/3600-23, now.Unix()/3600),
		})
		return true
	})
	slices.SortFunc(out.Callbacks, func(x, y CallbackActivity) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// latencyOf adds up the slots of ring holding periods from to to.
func latencyOf(ring []latencySlot, from, to int64) Latency {
	var l Latency
	var hist [latencyBuckets]int64
	for i := range ring {
		s := &ring[i]
		if at := s.at.Load(); at < from || at > to {
			continue
		}
		l.Calls += s.calls.Load()
		l.Failures += s.failures.Load()
		for b := range hist {
			hist[b] += int64(s.buckets[b].Load())
		}
	}
	var total int64
	for _, n := range hist {
		total += n
	}
	if total == 0 {
		return l
	}
	quantile := func(q float64) time.Duration {
		rank := int64(q*float64(total-1)) + 1
		var seen int64
		for b, n := range hist {
			if seen += n; seen >= rank {
				return bucketValue(b)
			}
		}
		return bucketValue(latencyBuckets - 1)
	}
	l.P50, l.P99 = quantile(0.50), quantile(0.99)
	return l
}
