package wasmhook

import "time"

// LoadedModules returns how many modules e's engine holds open, for tests
// that check that replaced modules are closed.
func LoadedModules(e *Enricher) int { return e.engine.Loaded() }

// CostEstimates returns the enricher's cost average of each callback of
// its current set, in load order: what the choice of parallelism adds up.
func CostEstimates(e *Enricher) []time.Duration {
	s := e.set.Load()
	out := make([]time.Duration, len(s.entries))
	for i, en := range s.entries {
		out[i] = time.Duration(en.cost.Load())
	}
	return out
}
