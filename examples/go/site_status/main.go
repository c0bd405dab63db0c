// Command site_status is the example plugin of examples/README.md as a Go
// reactor on the wasmhook SDK. For a NetBox event it returns
//
//	{"site_status":"active","name_len":10}
//
// nested under the configuration's "namespace" when one is set. It asks
// the host for the two fields it needs (Input.Field: the input is never
// copied into the guest), and writes its result with an Object: once
// warm, an event allocates nothing.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o site_status.wasm .
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
	// Paths from the top of the input: /data/name is data's own member,
	// never one inside tags or custom_fields.
	if v := in.Field("/data/status/value"); v.Kind() == wasmhook.KindString {
		// The token as it is in the input, escapes and all.
		out.Raw("site_status", v.Raw())
	}
	if n, ok := in.Field("/data/name").RuneCount(); ok {
		out.Int("name_len", int64(n))
	}
	return nil
}

// main is never called in a reactor; Go requires it in package main.
func main() {}
