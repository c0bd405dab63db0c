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
