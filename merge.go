package wasmhook

import (
	"fmt"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// merge reports every callback's call in res.Reports and merges their
// outputs, in load order, into w.merge. It returns the failure of the
// first callback whose failure policy is FailEvent, if one failed.
func (e *Enricher) merge(ev *Event, set *callbackSet, w *work, res *Result) error {
	if cap(res.Reports) < len(set.entries) {
		res.Reports = make([]Report, len(set.entries))
	}
	res.Reports = res.Reports[:len(set.entries)]
	w.merge.Reset()
	var fatal error
	for i, en := range set.entries {
		rep := &res.Reports[i]
		*rep = Report{Callback: en.cb.Name(), Kind: en.cb.Kind(), Duration: w.durations[i], OutputBytes: len(w.outputs[i]), Err: w.errs[i]}
		if rep.Err == nil {
			rep.Err = addOutput(&w.merge, en, w.outputs[i])
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

// addOutput merges one callback's output: nothing and falsy values are
// ignored (as NetBox ignores a falsy return); an object is merged; an
// output that breaks the rules (abi.CheckOutput) is an error and nothing
// of it is merged. Modules' outputs were checked by the runtime already.
func addOutput(m *jsonraw.Merge, en *entry, out []byte) error {
	if !en.checked {
		if err := abi.CheckOutput(en.cb.Name(), out); err != nil {
			return err
		}
	}
	if jsonraw.Classify(out) != jsonraw.Object {
		return nil
	}
	return m.Add(out)
}
