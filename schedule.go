package wasmhook

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

// costThreshold is the estimated time of an event's callbacks below which
// they run one after another: starting goroutines costs about a microsecond,
// more than a cheap reactor call.
const costThreshold = 50 * time.Microsecond

// costStep and costShift set the least change of a callback's cost
// average worth a write: costStep plus 1/2^costShift of the average.
const (
	costStep  = int64(16 * time.Nanosecond)
	costShift = 5
)

// run calls every callback, one after another or in parallel, storing the
// outputs in load order so that the merge never depends on timing.
func (e *Enricher) run(ctx context.Context, set *callbackSet, w *work) {
	n := len(set.entries)
	if n == 0 {
		return
	}
	var estimate int64
	for _, en := range set.entries {
		estimate += en.cost.Load()
	}
	// One clock read ends a call and starts the next: the clock is read
	// once per event, then once per call (time.Since, the monotonic clock
	// alone: a call's deadline and duration need nothing else).
	if e.parallelism == 1 || n == 1 || time.Duration(estimate) < costThreshold {
		now := time.Now()
		for i := range set.entries {
			now = e.call(ctx, set.entries[i], w, i, now)
		}
		return
	}
	var wg sync.WaitGroup
	next := atomic.Int64{}
	workers := min(e.parallelism, n)
	wg.Add(workers - 1)
	worker := func() {
		now := time.Now()
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			now = e.call(ctx, set.entries[i], w, i, now)
		}
	}
	for range workers - 1 {
		go func() { defer wg.Done(); worker() }()
	}
	worker()
	wg.Wait()
}

// call runs entry i, which starts at start, and returns when it ended.
func (e *Enricher) call(ctx context.Context, en *entry, w *work, i int, start time.Time) time.Time {
	if en.lookups != nil {
		w.lookups[i] = runtime.LookupStats{}
		w.outputs[i], w.errs[i] = en.lookups.CallStats(ctx, start, &w.inv, w.outputs[i][:0], &w.lookups[i])
	} else {
		w.outputs[i], w.errs[i] = en.cb.Call(ctx, start, &w.inv, w.outputs[i][:0])
	}
	d := time.Since(start)
	end := start.Add(d)
	w.durations[i] = d
	if d > en.limit && en.limit > 0 && w.errs[i] == nil {
		// The guest returned after its deadline, before the timer that
		// would have stopped it fired: the limit holds all the same.
		w.errs[i] = abi.NewCallError(en.cb.Name(), abi.ErrTimeout,
			fmt.Sprintf("returned after its %s limit (took %s)", en.limit, d.Round(time.Microsecond)), nil)
	}
	// An exponential moving average, 1/8 weight to the new sample, stored
	// only when it moves by costStep plus 1/32 of itself: the entry is
	// shared by every goroutine enriching, and a write on every call would
	// bounce its cache line between cores. So a sample within a quarter
	// of the average (and 128 ns) changes nothing, and the average settles
	// within that of the real cost. (With a fixed step of 250 ns, an
	// average that a slow first call had raised stopped 2 µs above a cheap
	// callback's cost: 25 such callbacks looked like 60 µs of work and ran
	// on goroutines, slower than one after another.)
	updateCost(&en.cost, d)
	return end
}

// updateCost moves the cost average c toward the sample d (see call).
func updateCost(c *atomic.Int64, d time.Duration) {
	old := c.Load()
	step := costStep + old>>costShift
	if delta := (int64(d) - old) / 8; delta >= step || delta <= -step {
		c.Store(old + delta)
	}
}

// work is the scratch space of one Enrich call, pooled.
type work struct {
	input     []byte
	event     runtime.Event // the input and snapshots, for modules' field reads
	inv       registry.Invocation
	request   abi.Request // the request native callbacks see, when filtered
	outputs   [][]byte
	errs      []error
	durations []time.Duration
	lookups   []runtime.LookupStats // set for entries with lookups only
	merge     jsonraw.Merge
}

var workPool = sync.Pool{New: func() any { return new(work) }}

func getWork(n int) *work {
	w := workPool.Get().(*work)
	if cap(w.outputs) < n {
		w.outputs = make([][]byte, n)
		w.errs = make([]error, n)
		w.durations = make([]time.Duration, n)
		w.lookups = make([]runtime.LookupStats, n)
	}
	w.outputs, w.errs, w.durations, w.lookups = w.outputs[:n], w.errs[:n], w.durations[:n], w.lookups[:n]
	for i := range w.errs {
		w.errs[i] = nil
	}
	return w
}

func putWork(w *work) {
	w.merge.Reset()
	w.inv = registry.Invocation{}
	w.event.Reset(nil, nil, nil) // no reference to the event's bytes
	if len(w.request.Header) > 0 {
		// Keep the map for the next event, not this one's request.
		clear(w.request.Header)
		w.request = abi.Request{Header: w.request.Header}
	}
	workPool.Put(w)
}
