package wasmhook

import (
	"errors"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/registry"
	"github.com/wasmhook/wasmhook/runtime"
)

// Failure classes: every error in a [Report] or from [New] matches one of
// them with [errors.Is]. They are the abi package's, named here for
// convenience.
var (
	ErrBadModule       = abi.ErrBadModule
	ErrABIMismatch     = abi.ErrABIMismatch
	ErrBadConfig       = abi.ErrBadConfig
	ErrTrap            = abi.ErrTrap
	ErrTimeout         = abi.ErrTimeout
	ErrMemoryLimit     = abi.ErrMemoryLimit
	ErrOutputTooLarge  = abi.ErrOutputTooLarge
	ErrOutputNotJSON   = abi.ErrOutputNotJSON
	ErrOutputNotObject = abi.ErrOutputNotObject
	ErrOutputNotUTF8   = abi.ErrOutputNotUTF8
	ErrGuest           = abi.ErrGuest
	ErrCollision       = abi.ErrCollision
	// ErrSettings: the modules directory's settings file is not valid.
	ErrSettings = registry.ErrSettings
	// ErrDuplicate: a callback of that name exists already.
	ErrDuplicate = registry.ErrDuplicate
	// ErrClosed: the enricher is closed.
	ErrClosed = runtime.ErrClosed
	// ErrInvalidEvent: Enrich was given an event it cannot send.
	ErrInvalidEvent = errors.New("invalid event")
)

// LoadError says why a module file cannot be loaded; CallError is one
// callback's failure on one event.
type (
	LoadError = abi.LoadError
	CallError = abi.CallError
)

// errorClasses name the failure classes, in the order ErrorClass tests
// them: a call error matches one, a load error that failed starting the
// module's first instance two (the start's failure comes first).
var errorClasses = [...]struct {
	name string
	err  error
}{
	{"timeout", ErrTimeout},
	{"memory_limit", ErrMemoryLimit},
	{"output_too_large", ErrOutputTooLarge},
	{"output_not_json", ErrOutputNotJSON},
	{"output_not_object", ErrOutputNotObject},
	{"output_not_utf8", ErrOutputNotUTF8},
	{"guest", ErrGuest},
	{"collision", ErrCollision},
	{"trap", ErrTrap},
	{"bad_module", ErrBadModule},
	{"abi_mismatch", ErrABIMismatch},
	{"bad_config", ErrBadConfig},
}

// ErrorClass names err's failure class in one word, for reports, metrics
// and fixtures: "timeout", "memory_limit", "output_too_large",
// "output_not_json", "output_not_object", "output_not_utf8", "guest",
// "collision", "trap", "bad_module", "abi_mismatch" or "bad_config";
// "" for nil and "other" for an error of no class.
func ErrorClass(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "other"
}

// ErrorClasses returns the names ErrorClass gives, "other" aside.
func ErrorClasses() []string {
	names := make([]string, len(errorClasses))
	for i, c := range errorClasses {
		names[i] = c.name
	}
	return names
}
