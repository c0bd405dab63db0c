package wasmhook

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

// callbackSet is one generation of callbacks in load order, with what the
// enricher learns about their cost. It is replaced, never modified. Every
// Enrich holds a reference to the set it runs on; the enricher holds one
// while the set is current. A set drains when its last reference goes.
type callbackSet struct {
	entries []*entry
	// natives is set when an entry is a native callback.
	natives bool
	// readsFields is set when a module imports a field read function.
	readsFields bool
	refs        atomic.Int64
	gens        *generations
	// drained is closed when the last reference is released.
	drained chan struct{}
}

// tryAcquire takes a reference unless the set has drained.
func (s *callbackSet) tryAcquire() bool {
	for {
		n := s.refs.Load()
		if n == 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference; the last one drains the set.
func (s *callbackSet) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	s.gens.drain(s)
	close(s.drained)
}

// generations are the callback sets that have not drained, and for each
// module the number of them that hold it. A module is closed when the
// last set holding it drains, and not before: an event still running on
// an older set than one that has drained may yet call it (a set that
// drains at once, while an event on its predecessor sleeps, must not
// close a module the two share).
type generations struct {
	mu   sync.Mutex
	live map[*callbackSet]struct{}
	uses map[*runtime.Module]int
}

// newSet makes a set with the enricher's reference taken and counts its
// modules.
func (g *generations) newSet(entries []*entry) *callbackSet {
	s := &callbackSet{entries: entries, gens: g, drained: make(chan struct{})}
	s.refs.Store(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live == nil {
		g.live, g.uses = map[*callbackSet]struct{}{}, map[*runtime.Module]int{}
	}
	g.live[s] = struct{}{}
	for _, en := range entries {
		if m := moduleOf(en.cb); m != nil {
			g.uses[m]++
			s.readsFields = s.readsFields || m.ReadsFields()
		} else {
			s.natives = true
		}
	}
	return s
}

// drain forgets a drained set and closes the modules no other set holds.
func (g *generations) drain(s *callbackSet) {
	var unused []*runtime.Module
	g.mu.Lock()
	delete(g.live, s)
	for _, en := range s.entries {
		if m := moduleOf(en.cb); m != nil {
			if g.uses[m]--; g.uses[m] == 0 {
				delete(g.uses, m)
				unused = append(unused, m)
			}
		}
	}
	g.mu.Unlock()
	for _, m := range unused {
		m.Close(context.Background())
	}
}

// wait returns once every set has drained, or ctx is done.
func (g *generations) wait(ctx context.Context) {
	for {
		g.mu.Lock()
		var s *callbackSet
		for s = range g.live {
			break
		}
		g.mu.Unlock()
		if s == nil {
			return
		}
		select {
		case <-s.drained:
		case <-ctx.Done():
			return
		}
	}
}

// moduleOf returns the module behind a callback, nil for a native one.
func moduleOf(cb registry.Callback) *runtime.Module {
	if m, ok := cb.(*registry.ModuleCallback); ok {
		return m.Module
	}
	return nil
}

// acquire returns the current set with a reference taken, or nil once the
// enricher is closed. A set that drains between the load and the acquire
// has been replaced: the loop takes its successor.
func (e *Enricher) acquire() *callbackSet {
	for {
		s := e.set.Load()
		if s.tryAcquire() {
			return s
		}
		if e.closed.Load() {
			return nil
		}
	}
}

type entry struct {
	cb registry.Callback
	// checked: the callback checks its outputs itself (a module does, so
	// that an instance whose output breaks the rules is thrown away).
	checked bool
	// limit is a module's time limit; 0 for a native callback.
	limit time.Duration
	// nest is the context key the callback's output goes under, "" for
	// none.
	nest string
	// lookups is the module when it may make HTTP requests: its calls
	// report their requests, cache hits and time waited.
	lookups *registry.ModuleCallback
	// overwrote counts, by earlier callback, the events in which this
	// callback set a context key the earlier one had set.
	mu        sync.Mutex
	overwrote map[string]int64
	// cost is a moving average of the callback's call time in ns.
	cost atomic.Int64
}

// swapLocked makes the registry's callbacks the current set, keeping what
// was learnt about callbacks that stay, and releases the enricher's
// reference on the old set. A module that left is closed once no set
// holding it has an event in flight (see generations).
func (e *Enricher) swapLocked() {
	old := e.set.Load()
	known := map[registry.Callback]*entry{}
	for _, en := range old.entries {
		known[en.cb] = en
	}
	cbs := e.reg.Callbacks()
	entries := make([]*entry, len(cbs))
	for i, cb := range cbs {
		if en, ok := known[cb]; ok {
			entries[i] = en
		} else {
			entries[i] = &entry{cb: cb, nest: cb.NestKey()}
			if m := moduleOf(cb); m != nil {
				entries[i].checked, entries[i].limit = true, m.Limits().Timeout
				if m.HasGrants() {
					entries[i].lookups = cb.(*registry.ModuleCallback)
				}
			}
		}
	}
	e.set.Store(e.gens.newSet(entries))
	old.release()
}

// sameModule matches callbacks backed by the same loaded module.
func sameModule(a registry.Callback) func(registry.Callback) bool {
	am, ok := a.(*registry.ModuleCallback)
	return func(b registry.Callback) bool {
		bm, ok2 := b.(*registry.ModuleCallback)
		return ok && ok2 && am.Module == bm.Module
	}
}
