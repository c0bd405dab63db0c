//go:build !wasip1

package wasmhook

import (
	"os"
	"strconv"
	"sync"
)

// Outside wasip1 (go test on the development machine) there is no host:
// Run stands in for it, so that a plugin's handler can be tested natively.

var runMu sync.Mutex

// Run calls the registered plugin on one input JSON with the given
// configuration cfg (nil means {}), as the host would, and returns a copy of
// its output (nil for none) or its failure. It exists only outside wasip1,
// for tests: the plugin's init functions have run, so Run exercises the
// same code the module does. Calls are serialized, as an instance's are.
// The Configure callback runs again whenever cfg differs from the
// previous call's.
func Run(input, cfg []byte) ([]byte, error) {
	runMu.Lock()
	defer runMu.Unlock()
	if cfg == nil {
		cfg = []byte("{}")
	}
	if !config.read || string(config.raw) != string(cfg) {
		setConfig(append([]byte(nil), cfg...))
	}
	out, err := call(input)
	if out != nil {
		out = append([]byte{}, out...)
	}
	return out, err
}

func hostConfig() []byte { return []byte("{}") }

// hostLog writes to stderr, where go test shows it.
func hostLog(level Level, msg string) {
	os.Stderr.WriteString("wasmhook log level=" + strconv.Itoa(int(level)) + ": " + msg + "\n")
}
