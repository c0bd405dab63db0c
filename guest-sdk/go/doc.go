// Package wasmhook is the Go guest SDK of wasmhook: it turns a Go function
// into a wasmhook callback module (ABI v1, abi/SPEC.md in the wasmhook
// repository) built by the standard Go toolchain as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// A plugin registers one function from an init function. The SDK owns the
// exports (wasmhook_abi_v1, wasmhook_on_event) and the wasmhook_v1
// imports: it reads each event's input with one input_read into a buffer
// it keeps, calls the function, and hands the result over with one
// output_set, or the error with error_set and status 1.
//
//	package main
//
//	import wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
//
//	func init() {
//		wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
//			if v := in.Data().Get("status", "value"); v.Kind() == wasmhook.KindString {
//				out.Raw("site_status", v.Raw())
//			}
//			return nil
//		})
//	}
//
//	func main() {}
//
// # Reading the input
//
// encoding/json decodes a NetBox object in a Go guest in hundreds of
// microseconds. [Value] reads a few members instead, without decoding the
// rest and without allocating: in.Data().Get("status", "value") scans
// data's members only as far as "status", skipping the others. Its
// readers ([Value.String], [Value.RuneCount], [Value.Equals], [Value.Int],
// ...) decode one value, as encoding/json would.
//
// # Writing the result
//
// [HandleObject] gives the function an [Object] to write members into,
// reused for every event: a plugin that reads with Value and writes with
// Object allocates nothing once warm. [Handle] takes any result: nil, JSON
// bytes (return json.Marshal(v)), an *Object or a json.Marshaler.
//
// # Configuration and logs
//
// [Config] returns the module's configuration (read once), and
// [Configure] registers a function that reads it once, before the first
// event. [Log] writes through the host's logger.
//
// # Testing
//
// The package builds for every platform; outside wasip1, [Run] calls the
// registered plugin as the host would, so that plugins are tested with go
// test on the development machine.
package wasmhook
