//go:build !wasip1

package wasmhook

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
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
	lookupMu.Lock()
	lastBody = nil // as the host, which keeps a response for its call only
	lookupMu.Unlock()
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
// the SDK's scanner, the last of duplicate keys winning. The host
// validates every document; Run does not, so valid says whether the
// value is JSON and UTF-8 (the SDK trusts what the host validated).
func hostField(doc int32, path string) (b []byte, valid bool) {
	switch doc {
	case docInput:
		b = runInput
	case docConfig:
		b = config.raw
	case docResponse:
		lookupMu.Lock()
		b = lastBody
		lookupMu.Unlock()
		if !json.Valid(b) {
			return nil, false // no response, or not JSON
		}
	default:
		b = []byte("null")
	}
	raw := pointer(ParseValue(b), path).Raw()
	return raw, json.Valid(raw) && utf8.Valid(raw)
}

// Outside wasip1, lookups go to stand-ins a test sets: SetFetch's
// function for Fetch, and a store in memory for KV.

var (
	lookupMu  sync.Mutex
	fetchFunc func(Request) (*Response, error)
	kvMemory  = map[string]kvItem{}
)

type kvItem struct {
	value []byte
	until time.Time
}

// SetFetch makes Fetch call fn outside wasip1 (in tests, with Run); nil
// refuses every request with ErrNotAllowed, as a host without grants
// does. fn's error may be a *LookupError.
func SetFetch(fn func(Request) (*Response, error)) {
	lookupMu.Lock()
	fetchFunc = fn
	lookupMu.Unlock()
}

// ResetKV empties the stand-in store KV uses outside wasip1.
func ResetKV() {
	lookupMu.Lock()
	clear(kvMemory)
	lookupMu.Unlock()
}

// lastBody is the last response's body, for field reads of it (nil after
// a failed request), as the host keeps it.
var lastBody []byte

func hostFetch(method, url string, headers, body []byte) (int32, []byte, []byte) {
	lookupMu.Lock()
	fn := fetchFunc
	lastBody = nil
	lookupMu.Unlock()
	if fn == nil {
		return -1, nil, nil
	}
	var h map[string]string
	if len(headers) > 0 {
		h = map[string]string{}
		ParseValue(headers).Each(func(k, v Value) bool {
			ks, _ := k.String()
			vs, _ := v.String()
			h[ks] = vs
			return true
		})
	}
	resp, err := fn(Request{Method: method, URL: url, Header: h, Body: body})
	if err != nil {
		var le *LookupError
		if errors.As(err, &le) {
			return le.Status, nil, nil
		}
		return -4, nil, nil
	}
	header := resp.Header.Raw()
	if header == nil {
		header = []byte("{}")
	}
	lookupMu.Lock()
	lastBody = resp.Body
	lookupMu.Unlock()
	return int32(resp.Status), header, resp.Body
}

func hostKVGet(key string) ([]byte, int32) {
	if key == "" {
		return nil, -5
	}
	lookupMu.Lock()
	defer lookupMu.Unlock()
	it, ok := kvMemory[key]
	if !ok || (!it.until.IsZero() && !time.Now().Before(it.until)) {
		delete(kvMemory, key)
		return nil, statusNotFound
	}
	return append([]byte(nil), it.value...), int32(len(it.value))
}

func hostKVSet(key string, value []byte, ttlMS int64) int32 {
	if key == "" || ttlMS < 0 {
		return -5
	}
	it := kvItem{value: append([]byte(nil), value...)}
	if ttlMS > 0 {
		it.until = time.Now().Add(time.Duration(ttlMS) * time.Millisecond)
	}
	lookupMu.Lock()
	kvMemory[key] = it
	lookupMu.Unlock()
	return 0
}

func hostKVDelete(key string) int32 {
	if key == "" {
		return -5
	}
	lookupMu.Lock()
	delete(kvMemory, key)
	lookupMu.Unlock()
	return 0
}
