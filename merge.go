package wasmhook

import (
	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

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
