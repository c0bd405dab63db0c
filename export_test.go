package wasmhook

// LoadedModules returns how many modules e's engine holds open, for tests
// that check that replaced modules are closed.
func LoadedModules(e *Enricher) int { return e.engine.Loaded() }
