// Package runtime runs callback modules on wazero, each call within its
// limits.
//
// There is one wazero runtime per [Engine] (compiler engine, optional on-disk compilation
// cache), every module compiled once and checked against ABI v1 at load
// ([Engine.Load]), and a bounded, goroutine-safe pool of instances per
// reactor module ([Module.Call]).
//
// Every call is bounded by [Limits]: wall-clock time (the instance is closed
// when its deadline passes), linear memory, output size and log size. An
// instance whose call failed in any way (a trap, a timeout, a limit, a
// guest error, an output that is not UTF-8 JSON, falsy or an object) is
// thrown away, never reused. Guests get no file system, environment, arguments or sockets.
//
// A library user meets [Limits], [Bytes] and [Stats] through the root
// package; [Engine], [Module] and [Engine.Inspect] are for tools that run
// or examine modules without an enricher (the command-line tool, the
// benchmark harness).
//
// Note that the package name shadows Go's own runtime package in files that
// import both; import Go's as goruntime.
package runtime
