package abi

import (
	"errors"
	"fmt"
)

// Failure classes. Every error the host reports for a call matches exactly
// one of them with [errors.Is]. A load error matches ErrBadModule,
// ErrABIMismatch or ErrBadConfig and, when the module's first instance failed to start
// (a trapping start function, an _initialize past its time limit), also
// the class of that failure.
var (
	// ErrBadModule: the file is not a usable WebAssembly module (not wasm,
	// truncated, missing an export, a forbidden import, a wrong signature).
	ErrBadModule = errors.New("bad module")
	// ErrABIMismatch: the module declares no ABI version, or one this host
	// does not speak.
	ErrABIMismatch = errors.New("ABI version mismatch")
	// ErrBadConfig: the module's configuration, from code or from a
	// settings file, is not a JSON object.
	ErrBadConfig = errors.New("bad configuration")
	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, stack
	// exhaustion, division by zero...) or passed the host a range outside its
	// memory.
	ErrTrap = errors.New("guest trapped")
	// ErrTimeout: the call ran past its time limit and was stopped.
	ErrTimeout = errors.New("timeout")
	// ErrMemoryLimit: the guest asked for more linear memory than its limit
	// and failed because of it.
	ErrMemoryLimit = errors.New("memory limit exceeded")
	// ErrOutputTooLarge: the output is larger than the output limit.
	ErrOutputTooLarge = errors.New("output too large")
	// ErrOutputNotJSON: the output is not valid JSON.
	ErrOutputNotJSON = errors.New("output is not JSON")
	// ErrOutputNotObject: the output is JSON, truthy, and not an object.
	ErrOutputNotObject = errors.New("output is not a JSON object")
	// ErrOutputNotUTF8: the output is not valid UTF-8.
	ErrOutputNotUTF8 = errors.New("output is not UTF-8")
	// ErrCollision: the callback set a key of the payload's context that
	// an earlier callback of the event had set, and the host was told to
	// fail such a callback rather than let the later value win.
	ErrCollision = errors.New("context key collision")
	// ErrGuest: the guest reported a failure (a non-zero status, a non-zero
	// exit, or an error from a native callback).
	ErrGuest = errors.New("guest reported an error")
)

// LoadError says why a module file cannot be loaded.
type LoadError struct {
	// File is the module's path as given to the loader.
	File string
	// Symbol is the import or export at fault, "" when none is.
	Symbol string
	// Kind is ErrBadModule, ErrABIMismatch or ErrBadConfig.
	Kind error
	// Reason says what is wrong, for a person.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *LoadError) Error() string {
	msg := "load " + e.File + ": " + e.Kind.Error()
	if e.Symbol != "" {
		msg += ": " + e.Symbol
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is the error's Kind.
func (e *LoadError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// CallError is one callback's failure on one event.
type CallError struct {
	// Callback is the callback's name.
	Callback string
	// Kind is one of the failure classes above.
	Kind error
	// Detail says what happened, for a person: the guest's message, the
	// trap and its wasm stack where the runtime gives one, the limit hit.
	Detail string
	// Err is the underlying error, if any (for a timeout it matches
	// context.DeadlineExceeded).
	Err error
}

// NewCallError returns a CallError of the given kind.
func NewCallError(callback string, kind error, detail string, err error) *CallError {
	return &CallError{Callback: callback, Kind: kind, Detail: detail, Err: err}
}

func (e *CallError) Error() string {
	msg := "callback " + e.Callback + ": " + e.Kind.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is reports whether target is the error's Kind.
func (e *CallError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *CallError) Unwrap() error { return e.Err }

// Errorf is a shorthand for a CallError with a formatted detail.
func Errorf(callback string, kind error, format string, args ...any) *CallError {
	return &CallError{Callback: callback, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}
