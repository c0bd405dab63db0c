//go:build !wasip1

package wasmhook

import (
	"os"
	"strconv"
	"strings"
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
	runInput = input
	out, err := call(uint32(len(input)))
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

// runInput is the input of the Run in progress.
var runInput []byte

func readInput(uint32) []byte { return runInput }

func resetFields() {}

// hostField does what the host does for field_read, on Run's input and
// configuration (the snapshots are null): it follows a JSON Pointer with
// the SDK's scanner, the last of duplicate keys winning.
func hostField(doc int32, path string) ([]byte, bool) {
	var b []byte
	switch doc {
	case docInput:
		b = runInput
	case docConfig:
		b = config.raw
	default:
		b = []byte("null")
	}
	v := ParseValue(b)
	if path != "" {
		if path[0] != '/' {
			return nil, false
		}
		for _, seg := range strings.Split(path[1:], "/") {
			for i := 0; i < len(seg); i++ {
				if seg[i] == '~' && (i+1 >= len(seg) || (seg[i+1] != '0' && seg[i+1] != '1')) {
					return nil, false
				}
			}
			seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
			v = child(v, seg)
		}
	}
	raw := v.Raw()
	return raw, raw != nil
}

// child returns the member of an object named key (the last one), or the
// element of an array at index key (a canonical decimal index).
func child(v Value, key string) Value {
	var found Value
	switch v.Kind() {
	case KindObject:
		v.Each(func(k, m Value) bool {
			if k.Equals(key) {
				found = m
			}
			return true
		})
	case KindArray:
		i, err := strconv.ParseUint(key, 10, 32)
		if err != nil || (len(key) > 1 && key[0] == '0') || key[0] == '+' {
			return Value{}
		}
		v.Each(func(_, e Value) bool {
			if i == 0 {
				found = e
				return false
			}
			i--
			return true
		})
	}
	return found
}
