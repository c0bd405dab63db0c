package abi

import (
	"bytes"
	"unicode/utf8"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// CheckOutput applies the output rules of SPEC.md section 5 to one call's
// output: nil for nothing (empty or white space), a falsy value or an
// object; else a *CallError of class ErrOutputNotUTF8, ErrOutputNotJSON
// or ErrOutputNotObject naming callback. Nothing of such an output may be
// merged.
func CheckOutput(callback string, out []byte) error {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	// Validate checks UTF-8 too; which of the two the output fails is
	// worked out on the error path only.
	if err := jsonraw.Validate(out); err != nil {
		if !utf8.Valid(out) {
			return Errorf(callback, ErrOutputNotUTF8, "%d bytes", len(out))
		}
		return NewCallError(callback, ErrOutputNotJSON, err.Error(), err)
	}
	if jsonraw.Classify(out) == jsonraw.Truthy {
		return Errorf(callback, ErrOutputNotObject, "got %s", preview(out))
	}
	return nil
}

func preview(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
