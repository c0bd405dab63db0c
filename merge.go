package wasmhook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// merge reports every callback's call in res.Reports and merges their
// outputs, in load order, into w.merge: an output's keys into the
// context, or the whole output under its callback's nest key. A key that
// an earlier callback set and a later one sets again is an overwrite,
// noted in the later callback's report and counted per pair of callbacks
// (or, with Options.FailOnCollision, the later callback's failure). It
// returns the failure of the first callback whose failure policy is
// FailEvent, if one failed.
func (e *Enricher) merge(ev *Event, set *callbackSet, w *work, res *Result) error {
	if cap(res.Reports) < len(set.entries) {
		res.Reports = make([]Report, len(set.entries))
	}
	res.Reports = res.Reports[:len(set.entries)]
	w.merge.Reset()
	if len(ev.Context) > 0 && jsonraw.Classify(ev.Context) == jsonraw.Object {
		w.merge.AddAs(eventContext, ev.Context) // validated with the event
	}
	var fatal error
	for i, en := range set.entries {
		rep := &res.Reports[i]
		*rep = Report{Callback: en.cb.Name(), Kind: en.cb.Kind(), Duration: w.durations[i], OutputBytes: len(w.outputs[i]), Err: w.errs[i], Nest: en.nest}
		if en.lookups != nil {
			st := &w.lookups[i]
			rep.Requests, rep.CacheHits, rep.Waited = st.Requests, st.CacheHits, st.Waited
		}
		if rep.Err == nil {
			seen := len(w.merge.Overwrites())
			var refused *Overwrite
			refused, rep.Err = e.addOutput(&w.merge, set, i, w.outputs[i])
			if refused != nil {
				rep.Overwrote = append(rep.Overwrote, *refused)
			}
			for _, o := range w.merge.Overwrites()[seen:] {
				rep.Overwrote = append(rep.Overwrote, overwriteOf(set, o.Key, o.Prev))
			}
			if len(rep.Overwrote) > 0 {
				e.countOverwrites(en, rep.Overwrote)
			}
			if e.opts.ReportKeys && rep.Err == nil {
				rep.Keys = keysSet(en.nest, w.outputs[i])
			}
		}
		if rep.Err != nil {
			e.logger.Warn("wasmhook: callback failed; its result is dropped",
				"callback", rep.Callback, "kind", rep.Kind, "event", ev.EventType, "object_type", ev.ObjectType, "error", rep.Err)
			if fatal == nil && en.cb.OnFailure() == FailEvent {
				fatal = fmt.Errorf("wasmhook: %w: %w", ErrEventFailed, rep.Err)
			}
		}
	}
	return fatal
}

// addOutput merges the output of entry i: nothing and falsy values are
// ignored (as NetBox ignores a falsy return); an object is merged, or
// placed whole under the entry's nest key; an output that breaks the
// rules (abi.CheckOutput) is an error and nothing of it is merged.
// Modules' outputs were checked by the runtime already. With
// Options.FailOnCollision, an output that would overwrite a key is
// refused whole: the error says so, and refused is the first such key.
func (e *Enricher) addOutput(m *jsonraw.Merge, set *callbackSet, i int, out []byte) (refused *Overwrite, err error) {
	en := set.entries[i]
	if !en.checked {
		if err := abi.CheckOutput(en.cb.Name(), out); err != nil {
			return nil, err
		}
	}
	if jsonraw.Classify(out) != jsonraw.Object {
		return nil, nil
	}
	if e.opts.FailOnCollision {
		if key, prev, found := collision(m, i, en.nest, out); found {
			o := overwriteOf(set, key, prev)
			by := o.Callback
			if by == "" {
				by = "the event's own context"
			}
			return &o, abi.Errorf(en.cb.Name(), abi.ErrCollision, "it sets context key %q, which %s set before it", key, by)
		}
	}
	if en.nest != "" {
		m.SetAs(i, en.nest, bytes.TrimSpace(out))
		return nil, nil
	}
	return nil, m.AddAs(i, out)
}

// collision finds a key of the output of entry i (or its nest key) that
// an earlier entry set.
func collision(m *jsonraw.Merge, i int, nest string, out []byte) (key string, prev int, found bool) {
	if nest != "" {
		prev, found = m.Owner(nest)
		return nest, prev, found && prev != i
	}
	jsonraw.Members(out, func(k string, _ []byte) error {
		if p, ok := m.Owner(k); ok && p != i && !found {
			key, prev, found = k, p, true
		}
		return nil
	})
	return key, prev, found
}

// keysSet lists the context keys a merged output set: its nest key, or
// its members' keys (a key the output repeats, once).
func keysSet(nest string, out []byte) []string {
	if jsonraw.Classify(out) != jsonraw.Object {
		return nil // falsy: nothing set
	}
	if nest != "" {
		return []string{nest}
	}
	var keys []string
	jsonraw.Members(out, func(k string, _ []byte) error {
		if !slices.Contains(keys, k) {
			keys = append(keys, strings.Clone(k)) // k points into a reused buffer
		}
		return nil
	})
	return keys
}

// eventContext is the merge source of the event's own context.
const eventContext = -1

// overwriteOf notes that key, which entry prev (or the event's own
// context) had set, was set again.
func overwriteOf(set *callbackSet, key string, prev int) Overwrite {
	o := Overwrite{Key: strings.Clone(key)} // the merge's key points into a reused buffer
	if prev != eventContext {
		o.Callback = set.entries[prev].cb.Name()
	}
	return o
}

// countOverwrites counts, once per event and per earlier callback, that
// en overwrote that callback's keys, and warns the first time a pair of
// callbacks collides.
func (e *Enricher) countOverwrites(en *entry, over []Overwrite) {
	for i, o := range over {
		if slices.ContainsFunc(over[:i], func(p Overwrite) bool { return p.Callback == o.Callback }) {
			continue // this pair is counted for this event already
		}
		en.mu.Lock()
		if en.overwrote == nil {
			en.overwrote = map[string]int64{}
		}
		en.overwrote[o.Callback]++
		first := en.overwrote[o.Callback] == 1
		en.mu.Unlock()
		if first {
			e.logger.Warn("wasmhook: a callback overwrote a context key an earlier callback set; later wins (reported once per pair of callbacks)",
				"callback", en.cb.Name(), "overwrote", o.Callback, "key", o.Key)
		}
	}
}
