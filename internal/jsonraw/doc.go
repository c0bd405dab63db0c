// Package jsonraw validates, inspects and merges JSON without decoding
// values into Go data structures.
//
// It exists for webhook payloads that are assembled from JSON objects
// returned by untrusted WebAssembly plugins. Values stay raw bytes from
// the moment a plugin hands them over until they are written into the
// outgoing payload, so numbers keep their exact spelling and nothing is
// re-encoded. The merge semantics follow Python's dict.update as used
// by NetBox (callback_data.update(ret)): a later value for a key wins,
// and a key keeps the position where it was first set.
//
// Input is treated as hostile. [Validate] is iterative with a fixed,
// stack-allocated nesting stack, so deeply nested input yields an error
// rather than a stack overflow, and no function in this package panics
// on malformed, truncated or adversarial input. [Validate] also checks,
// in the same pass, that raw (unescaped) bytes inside strings are valid
// UTF-8, as Python's json.loads on bytes requires, so input it accepts
// is valid UTF-8 as a whole and callers need not call
// [unicode/utf8.Valid] as well.
//
// The functions that take JSON that "must already be valid"
// ([Classify], [Members], [Merge.Add]) never panic on invalid input
// either, but their results for such input are unspecified beyond the
// errors they happen to detect. Run [Validate] first.
//
// Two string styles are provided: [AppendString] writes compact UTF-8
// output the way encoding/json does with HTML escaping turned off, and
// [AppendASCIIString] writes the ASCII-only form of Python's
// json.dumps(ensure_ascii=True).
package jsonraw
