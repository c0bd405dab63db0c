package abi

// Version is the ABI version this package describes.
const Version = 1

// Names of the host import module and of the host functions in it. A guest
// imports only from [ImportModule] and [WASIModule]; any other import fails at
// load with the import's name.
const (
	// ImportModule is the import module name of ABI v1 host functions.
	ImportModule = "wasmhook_v1"

	// WASIModule is the WASI preview 1 import module. No file system,
	// environment, arguments or sockets are granted through it.
	WASIModule = "wasi_snapshot_preview1"

	// InputReadName: input_read(ptr, len i32) -> i32 copies min(len,
	// input length) bytes of the event input JSON to guest memory at ptr and
	// returns the whole input length. input_read(0, 0) returns the length only.
	// Reactors only.
	InputReadName = "input_read"

	// ConfigReadName: config_read(ptr, len i32) -> i32 copies min(len,
	// config length) bytes of the module's configuration (a JSON object, "{}"
	// when the operator gave none) to ptr and returns the whole length.
	ConfigReadName = "config_read"

	// OutputSetName: output_set(ptr, len i32) sets the call's output to the
	// len bytes at ptr (one copy). A later call replaces an earlier one. A len
	// above the output limit stops the call with ErrOutputTooLarge.
	// Reactors only; commands write their output to stdout.
	OutputSetName = "output_set"

	// ErrorSetName: error_set(ptr, len i32) sets the message reported when
	// the call fails (a non-zero status, or a non-zero exit for commands).
	ErrorSetName = "error_set"

	// LogName: log(level, ptr, len i32) writes one log line through the
	// host's logger at the slog level (-4 debug, 0 info, 4 warn, 8 error).
	// The bytes a call may log are capped; past the cap lines are dropped.
	LogName = "log"
)

// Names of the exports the host looks for.
const (
	// VersionMarkerName is the export a v1 module declares its ABI with: a
	// function of no parameters and no results that the host never calls.
	VersionMarkerName = "wasmhook_abi_v1"

	// VersionMarkerPrefix starts every version marker. An export
	// "wasmhook_abi_v2" declares a version this host does not speak.
	VersionMarkerPrefix = "wasmhook_abi_v"

	// OnEventName: wasmhook_on_event(input_len i32) -> i32 status is the
	// reactor entry point, called once per event. Its export makes a module a
	// reactor.
	OnEventName = "wasmhook_on_event"

	// MemoryName is the linear memory every module exports.
	MemoryName = "memory"

	// InitializeName is the optional reactor initializer, called once per
	// instance before the first event.
	InitializeName = "_initialize"

	// StartName is the WASI command entry point. A module that exports it
	// and not [OnEventName] is a command: it reads the input on stdin and
	// writes the output on stdout, in a fresh instance per call.
	StartName = "_start"
)

// Status values returned by wasmhook_on_event.
const (
	// StatusOK: the call succeeded; its output is whatever output_set set
	// last (none means an empty result).
	StatusOK = 0
	// StatusError (or any non-zero status): the call failed; the message is
	// whatever error_set set last.
	StatusError = 1
)

// Kind is how a module is run.
type Kind string

const (
	// KindReactor modules stay instantiated in a pool and get one
	// wasmhook_on_event call per event.
	KindReactor Kind = "reactor"
	// KindCommand modules are WASI commands run in a fresh instance per event.
	KindCommand Kind = "command"
	// KindGo callbacks are native Go functions registered by the host.
	KindGo Kind = "go"
)
