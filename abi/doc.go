// Package abi is the wire contract between the wasmhook host and callback
// modules: the names of every import and export ([InputReadName],
// [OnEventName], ...), the input the host hands a callback ([AppendInput]),
// and the failure classes the host reports ([ErrTimeout], ...).
//
// The full specification, complete enough to write a module by hand in WAT,
// is SPEC.md in this directory. The package does not import wazero, so both
// hosts and tools can share it.
package abi
