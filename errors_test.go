package wasmhook_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
)

// TestErrorClass: every failure class has its word, a wrapped error
// keeps it, a load error whose start trapped is a trap first.
func TestErrorClass(t *testing.T) {
	assert.Equal(t, "", wasmhook.ErrorClass(nil))
	assert.Equal(t, "other", wasmhook.ErrorClass(errors.New("x")))
	assert.Equal(t, "timeout", wasmhook.ErrorClass(fmt.Errorf("w: %w", abi.Errorf("cb", abi.ErrTimeout, "slow"))))
	assert.Equal(t, "collision", wasmhook.ErrorClass(abi.Errorf("cb", abi.ErrCollision, "k")))
	load := &abi.LoadError{File: "f.wasm", Kind: abi.ErrBadModule, Err: abi.Errorf("cb", abi.ErrTrap, "start")}
	assert.Equal(t, "trap", wasmhook.ErrorClass(load))
	assert.Equal(t, "bad_config", wasmhook.ErrorClass(&abi.LoadError{File: "f.wasm", Kind: abi.ErrBadConfig}))
	assert.Len(t, wasmhook.ErrorClasses(), 12)
	assert.NotContains(t, wasmhook.ErrorClasses(), "other")
}
