package wasmhook

import "errors"

// Input is one event, as the host hands it to every plugin (abi/SPEC.md,
// section 4):
//
//	{"object_type":"dcim.site","event_type":"object_updated","data":{...},"request":{...}}
//
// It is valid during the call only: the SDK reuses its buffer for the
// next event.
//
// A plugin reads the fields it wants with [Input.Field]: the host looks
// each one up and hands over its bytes, and the input is never copied.
// [Input.Raw], [Input.Get] and [Input.Data] copy the whole input into the
// guest (once per event, on first use) and scan it there.
type Input struct {
	n        uint32 // the input's length
	raw      []byte
	loaded   bool
	root     Value
	data     Value
	dataDone bool
}

// Field returns the value that path, a JSON Pointer (RFC 6901), names in
// the input: in.Field("/data/status/value"), in.Field("/data/tags/0/name"),
// in.Field("/request/user"); a key holding "/" or "~" is written with
// "~1" or "~0". The host looks the path up (its index of the event is
// shared by every plugin of the event) and copies only the value's bytes:
// the cost is the same whatever the size of the event. When a key
// appears more than once the last one counts, as in encoding/json and
// NetBox's Python. The result is missing (KindMissing) when there is no
// such value or the path is not a JSON Pointer. It is valid during the
// call only.
func (in *Input) Field(path string) Value { return field(docInput, path) }

// Prechange and Postchange are Field for the event's snapshots, the
// object's data before and after the change (the payload's
// snapshots.prechange and .postchange): in.Postchange("/status/value").
// Both are null when the event has none.
func (in *Input) Prechange(path string) Value  { return field(docPrechange, path) }
func (in *Input) Postchange(path string) Value { return field(docPostchange, path) }

// Raw returns the input JSON, copied from the host on first use. Copy
// what you keep past the call.
func (in *Input) Raw() []byte {
	in.load()
	return in.raw
}

func (in *Input) load() {
	if !in.loaded {
		in.raw = readInput(in.n)
		in.root = ParseValue(in.raw)
		in.loaded = true
	}
}

// Get looks path up from the input's top level with the SDK's scanner,
// like [Value.Get]: in.Get("event_type"), in.Get("request", "user"). It
// copies the whole input first; [Input.Field] does not.
func (in *Input) Get(path ...string) Value {
	in.load()
	return in.root.Get(path...)
}

// Data returns the input's "data" member, the object's serialized data
// (looked up once per event), for scanning with [Value]'s methods. It
// copies the whole input first; [Input.Field] does not.
func (in *Input) Data() Value {
	if !in.dataDone {
		in.load()
		in.data, in.dataDone = in.root.member("data"), true
	}
	return in.data
}

// The documents of the field reads (abi/SPEC.md, "Field reads").
const (
	docInput      = 0
	docConfig     = 1
	docPrechange  = 2
	docPostchange = 3
	docResponse   = 4 // the last HTTP response's body
)

// field returns the value at path in document doc, or a missing Value.
func field(doc int32, path string) Value {
	b, valid := hostField(doc, path)
	return Value{b: b, host: valid}
}

// Level is a log level, the values of log/slog's.
type Level int32

// Log levels.
const (
	LevelDebug Level = -4
	LevelInfo  Level = 0
	LevelWarn  Level = 4
	LevelError Level = 8
)

// Log writes one line through the host's logger, which tags it with the
// plugin's name. The host caps the bytes one call may log.
func Log(level Level, msg string) { hostLog(level, msg) }

// Handle registers h as the plugin, from an init function:
//
//	func init() { wasmhook.Handle(run) }
//
// What h returns becomes the event's result:
//   - nil: no result;
//   - []byte: JSON already encoded, passed as it is, so that a plugin
//     using encoding/json can end with return json.Marshal(m);
//   - *Object: its bytes;
//   - a value with a MarshalJSON method (json.RawMessage, for one): what
//     the method returns.
//
// Any other type fails the call. The SDK does not import encoding/json
// itself: it would add about 440 KB to every plugin, used or not.
//
// The result should be a JSON object: the host merges its members into the
// webhook payload's "context" and drops anything else that is not falsy
// (null, {}, [], "", 0, false). A non-nil error fails the call with its
// message: the host logs it and drops the result. A panic in h is
// recovered and fails the call the same way, with "panic: " and its value
// as the message, instead of crashing the Go runtime.
//
// Plugins that care about speed use [HandleObject], which reuses one
// Object for every event.
func Handle(h func(in *Input) (any, error)) {
	objectHandler = nil
	handler = func(in *Input) ([]byte, error) {
		v, err := h(in)
		if err != nil || v == nil {
			return nil, err
		}
		switch v := v.(type) {
		case []byte:
			return v, nil
		case *Object:
			return v.Bytes(), nil
		case interface{ MarshalJSON() ([]byte, error) }:
			return v.MarshalJSON()
		}
		return nil, errBadResult
	}
}

// HandleObject registers h as the plugin, from an init function. h writes
// its result into out, an empty Object reset before every event and kept
// between events, so that a plugin reading its input with [Value] and
// writing it with Object allocates nothing once warm. An object with no
// members is the result {}. A non-nil error (or a panic) fails the call,
// and what h wrote is dropped.
func HandleObject(h func(in *Input, out *Object) error) {
	handler, objectHandler = nil, h
}

// Configure registers fn to read the plugin's configuration, from an
// init function. fn runs once, before the first event, with the JSON
// object the operator gave (or {}); an error from it fails every event
// with its message, as a configuration that cannot work should.
//
//	var namespace string
//
//	func init() {
//		wasmhook.Configure(func(cfg wasmhook.Value) error {
//			namespace, _ = cfg.Get("namespace").String()
//			return nil
//		})
//	}
func Configure(fn func(cfg Value) error) { configure = fn }

// Config returns the plugin's configuration: the JSON object the operator
// gave, or {} when none. The host is asked for it once, on first use; the
// Value stays valid for the instance's life.
func Config() Value {
	if !config.read {
		setConfig(hostConfig())
	}
	return config.value
}

var (
	handler func(in *Input) ([]byte, error)
	// objectHandler is HandleObject's, called by call itself: in a Go
	// guest every call costs, and a wrapping closure was one more.
	objectHandler func(in *Input, out *Object) error
	configure     func(cfg Value) error
	result        Object
	input         Input

	config struct {
		raw   []byte
		value Value
		read  bool
		// configured is set once configure ran, with its error.
		configured bool
		err        error
	}
)

var (
	errNoHandler = errors.New("wasmhook: no handler: call wasmhook.Handle or wasmhook.HandleObject from an init function")
	errBadResult = errors.New("wasmhook: Handle's result must be nil, []byte, *wasmhook.Object or have a MarshalJSON method: encode maps and structs with json.Marshal")
)

// setConfig takes raw as the configuration; the Configure callback runs
// again before the next event.
func setConfig(raw []byte) {
	config.raw = raw
	config.value = ParseValue(raw)
	config.read = true
	config.configured, config.err = false, nil
}

// call runs the plugin on one input of n bytes, which it reads from the
// host only if the plugin asks for it. It returns the output (nil for
// none), valid until the next call, or the failure.
//
// The usual call, HandleObject's handler once configured, takes the
// first branch and nothing else: in a Go guest every branch and call
// costs (see Object.key), and this runs on every event.
func call(n uint32) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, panicError(r)
		}
	}()
	if h := objectHandler; h != nil && config.configured && config.err == nil && !input.loaded && !input.dataDone {
		input.n = n
		resetFields()
		fetches++ // the host keeps no response from an earlier call
		result.Reset()
		if err := h(&input, &result); err != nil {
			return nil, err
		}
		return result.Bytes(), nil
	}
	return callSlow(n)
}

// callSlow is call for anything but the usual: the first event (the
// configuration is read), a failed configuration, an event after one
// that copied its input, and Handle's handler.
func callSlow(n uint32) (out []byte, err error) {
	if handler == nil && objectHandler == nil {
		return nil, errNoHandler
	}
	if !config.configured {
		cfg := Config()
		if configure != nil {
			config.err = configure(cfg)
		}
		config.configured = true
	}
	if config.err != nil {
		return nil, config.err
	}
	if input.loaded || input.dataDone {
		input = Input{} // drop the last event's copy
	}
	input.n = n
	resetFields()
	fetches++ // the host keeps no response from an earlier call
	if h := objectHandler; h != nil {
		result.Reset()
		if err := h(&input, &result); err != nil {
			return nil, err
		}
		return result.Bytes(), nil
	}
	return handler(&input)
}

// panicError turns a recovered panic into the call's error. It avoids fmt,
// which would add to every plugin's size.
func panicError(r any) error {
	switch r := r.(type) {
	case error:
		return errors.New("panic: " + r.Error())
	case string:
		return errors.New("panic: " + r)
	}
	return errors.New("panic")
}
