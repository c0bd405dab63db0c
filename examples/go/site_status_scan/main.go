// Command site_status_scan is ../site_status with the SDK's scanner instead
// of field reads: Input.Data copies the whole input into the guest and
// scans it. The benchmarks compare the two; the conformance test requires
// the same output from both. For a NetBox event it returns
//
//	{"site_status":"active","name_len":10}
//
// nested under the configuration's "namespace" when one is set. It reads
// the two members of data it needs without decoding the rest, and writes
// its result with an Object: once warm, an event allocates nothing.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o site_status_scan.wasm .
package main

import wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"

// namespace is the configuration's "namespace" string, read once.
var (
	namespace string
	nested    bool
)

func init() {
	wasmhook.Configure(func(cfg wasmhook.Value) error {
		namespace, nested = cfg.Get("namespace").String()
		return nil
	})
	wasmhook.HandleObject(siteStatus)
}

func siteStatus(in *wasmhook.Input, out *wasmhook.Object) error {
	if nested {
		out.Nested(namespace)
	}
	// Only data's own members count: Get never looks inside tags or
	// custom_fields.
	data := in.Data()
	if v := data.Get("status", "value"); v.Kind() == wasmhook.KindString {
		// The token as it is in the input, escapes and all.
		out.Raw("site_status", v.Raw())
	}
	if n, ok := data.Get("name").RuneCount(); ok {
		out.Int("name_len", int64(n))
	}
	return nil
}

// main is never called in a reactor; Go requires it in package main.
func main() {}
