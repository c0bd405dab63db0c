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

	// FieldTypeName: field_type(doc, path_ptr, path_len i32) -> i32 looks
	// the JSON Pointer (RFC 6901) at path_ptr up in document doc
	// ([DocInput], ...) and returns the value's type ([FieldNull] ...
	// [FieldObject]) or a negative status ([FieldMissing], [FieldBadPath],
	// [FieldNoDocument]). Optional, for reactors and commands.
	FieldTypeName = "field_type"

	// FieldReadName: field_read(doc, path_ptr, path_len, ptr, len i32) -> i32
	// looks the path up as field_type does and copies min(len, size) bytes
	// of the value's JSON text (a string with its quotes and escapes, an
	// object with its braces) to ptr; it returns the whole size, or a
	// negative status.
	FieldReadName = "field_read"

	// FieldStringName: field_string(doc, path_ptr, path_len, ptr, len i32)
	// -> i32 is field_read for a string value, decoded: UTF-8 with its
	// escapes resolved, without quotes. A value that is not a string is
	// [FieldNotString].
	FieldStringName = "field_string"

	// HTTPRequestName: http_request(method_ptr, method_len, url_ptr,
	// url_len, headers_ptr, headers_len, body_ptr, body_len i32) -> i32
	// asks the host for one HTTP request under the module's grants. The
	// headers are a JSON object of strings (len 0: none). It returns the
	// response's status code (100-599), kept for http_response_read until
	// the next http_request or the end of the call, or a negative status
	// ([LookupNotAllowed] ... [LookupBadRequest]). Optional.
	HTTPRequestName = "http_request"

	// HTTPResponseReadName: http_response_read(part, ptr, len i32) -> i32
	// copies min(len, size) bytes of the last response's part
	// ([HTTPBody], [HTTPHeaders]) to ptr and returns its whole size, or a
	// negative status ([LookupNoResponse], [LookupBadRequest]).
	HTTPResponseReadName = "http_response_read"

	// KVGetName: kv_get(key_ptr, key_len, ptr, len i32) -> i32 copies
	// min(len, size) bytes of the module's value for key to ptr and
	// returns its whole size, or a negative status ([LookupNotFound] ...).
	KVGetName = "kv_get"

	// KVSetName: kv_set(key_ptr, key_len, value_ptr, value_len i32, ttl_ms
	// i64) -> i32 sets the module's key for ttl_ms milliseconds (0: no
	// expiry); 0, or a negative status ([LookupFull] ...).
	KVSetName = "kv_set"

	// KVDeleteName: kv_delete(key_ptr, key_len i32) -> i32 deletes the
	// module's key; 0 (also when it was not there), or a negative status.
	KVDeleteName = "kv_delete"
)

// The parts of a response http_response_read copies out.
const (
	// HTTPBody is the response's body, as the upstream sent it (decoded
	// from its transfer and content encodings), credentials replaced.
	HTTPBody = 0
	// HTTPHeaders is the response's headers as a JSON object: lowercase
	// names, sorted, each a string of its values joined with ", ".
	HTTPHeaders = 1
)

// The negative statuses of the lookup functions (http_request,
// http_response_read, kv_get, kv_set, kv_delete). A status is never a
// trap: a guest handles a refusal or a failed upstream as it likes.
const (
	// LookupNotAllowed: no grant covers the URL (or a redirect's), the
	// address is not one the grants allow, or the call made its
	// max_requests.
	LookupNotAllowed = -1
	// LookupTimeout: no answer within the request's timeout or the call's
	// time limit, whichever came first.
	LookupTimeout = -2
	// LookupTooLarge: a response over max_response, or a key or value
	// over the store's bounds.
	LookupTooLarge = -3
	// LookupUpstream: the request or the store failed on the way
	// (connection refused, reset, bad certificate, too many redirects).
	LookupUpstream = -4
	// LookupBadRequest: a method, URL or headers the host cannot send
	// (headers not a JSON object of strings), an empty key, a negative
	// TTL, or an unknown part.
	LookupBadRequest = -5
	// LookupNoResponse: http_response_read with no response kept.
	LookupNoResponse = -6
	// LookupNotFound: kv_get of a key the module has not set (or that
	// expired, or was deleted).
	LookupNotFound = -7
	// LookupFull: kv_set would take the module's keys over its max_bytes.
	LookupFull = -8
)

// The documents field reads look paths up in: the first argument of
// field_type, field_read and field_string.
const (
	// DocInput is the input JSON, as input_read copies it: "/data/name",
	// "/request/user".
	DocInput = 0
	// DocConfig is the module's configuration, as config_read copies it.
	DocConfig = 1
	// DocPrechange and DocPostchange are the event's snapshots, the
	// payload's snapshots.prechange and snapshots.postchange; null when
	// the event has none. Only field reads reach them.
	DocPrechange  = 2
	DocPostchange = 3
	// DocResponse is the body of the call's last HTTP response, as
	// http_response_read's part 0 copies it: the host parses it once per
	// response, and once per cached response for every call it answers.
	DocResponse = 4
)

// The types field_type returns, and the negative statuses of the field
// reads. A status is never a trap: a guest may look up paths it does not
// know to exist.
const (
	FieldNull   = 1
	FieldFalse  = 2
	FieldTrue   = 3
	FieldNumber = 4
	FieldString = 5
	FieldArray  = 6
	FieldObject = 7

	// FieldMissing: the path is well formed and names no value.
	FieldMissing = -1
	// FieldNotString: field_string on a value that is not a string.
	FieldNotString = -2
	// FieldBadPath: the path is not a JSON Pointer (neither empty nor
	// starting with "/", or a "~" not followed by "0" or "1").
	FieldBadPath = -3
	// FieldNoDocument: doc is not a document this host knows.
	FieldNoDocument = -4
	// FieldTooLarge: the value is 2 GiB or more, which an i32 cannot
	// count.
	FieldTooLarge = -5
	// FieldNoResponse: DocResponse before a request of the call was
	// answered (the number is LookupNoResponse's).
	FieldNoResponse = -6
	// FieldNotJSON: DocResponse holds a body that is not JSON.
	FieldNotJSON = -7
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
