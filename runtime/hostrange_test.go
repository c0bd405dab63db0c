package runtime_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// TestHostFunctionsCheckTheWholeRange: every (ptr, len) a wasmhook_v1
// function takes must lie inside the guest's memory, checked in 64-bit
// arithmetic before any cap shortens it (abi/SPEC.md section 3): a range
// past the end, or one that wraps around 2^32, traps, whether the host
// would have copied all of it, part of it (input_read, config_read,
// error_set's 1 KiB, field_read, field_string) or none of it (log past the
// log limit, a field read's path or buffer beside the other range). range_probe
// has one 64 KiB page and calls the function its configuration names.
func TestHostFunctionsCheckTheWholeRange(t *testing.T) {
	const (
		inputRead, configRead, outputSet, errorSet, logFn = 1, 2, 3, 4, 5
		// Field reads of the input: a path range with an empty buffer, or
		// a buffer range with the empty path (the whole input).
		typePath, readPath, readBuffer, stringPath, stringBuffer = 6, 7, 8, 9, 10
		size                                                     = 65536
		maxU32                                                   = 1<<32 - 1
	)
	names := map[int]string{inputRead: "input_read", configRead: "config_read", outputSet: "output_set", errorSet: "error_set", logFn: "log",
		typePath: "field_type", readPath: "field_read", readBuffer: "field_read", stringPath: "field_string", stringBuffer: "field_string"}
	type probe struct {
		fn, ptr, len, fill int // fill: 1 KiB log lines logged first (16 reach the log limit)
		kind               error
	}
	var cases []probe
	for _, fn := range []int{inputRead, configRead, errorSet, logFn, typePath, readPath, readBuffer, stringPath, stringBuffer} {
		for _, fill := range []int{0, 17} {
			cases = append(cases,
				probe{fn, size, 0, fill, nil},             // empty, at the very end: inside
				probe{fn, size - 1, 1, fill, nil},         // the last byte
				probe{fn, size + 1, 0, fill, abi.ErrTrap}, // empty, but past the end
				probe{fn, size - 1, 2, fill, abi.ErrTrap},
				probe{fn, 64000, 2000, fill, abi.ErrTrap}, // its first KiB is inside
				probe{fn, 0, size + 1, fill, abi.ErrTrap},
				probe{fn, 0, maxU32, fill, abi.ErrTrap},
				probe{fn, maxU32, 1, fill, abi.ErrTrap}, // ptr+len wraps to 0 in 32 bits
				probe{fn, 1, maxU32, fill, abi.ErrTrap},
				probe{fn, maxU32, maxU32, fill, abi.ErrTrap},
			)
		}
	}
	cases = append(cases,
		probe{outputSet, 0, 15, 0, nil},
		probe{outputSet, size - 1, 2, 0, abi.ErrTrap},
		probe{outputSet, 65000, 1000, 0, abi.ErrTrap},
		probe{outputSet, maxU32, 1, 0, abi.ErrTrap},
		probe{outputSet, size + 1, 0, 0, abi.ErrTrap},
		// A length above the output limit is that, wherever it points.
		probe{outputSet, 0, maxU32, 0, abi.ErrOutputTooLarge},
		probe{outputSet, maxU32, maxU32, 0, abi.ErrOutputTooLarge},
	)
	e := newEngine(t, runtime.Limits{PoolSize: 1}, nil)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d:%s(%d,%d)/fill=%d", c.fn, names[c.fn], c.ptr, c.len, c.fill), func(t *testing.T) {
			cfg := fmt.Sprintf(`{"probe":[%d,%d,%d,%d]}`, c.fn, c.ptr, c.len, c.fill)
			m := load(t, e, "range_probe", runtime.ModuleOptions{Config: []byte(cfg)})
			defer m.Close(t.Context())
			out, err := call(t, m)
			if c.kind == nil {
				require.NoError(t, err)
				if c.fn != outputSet {
					assert.Equal(t, `{"probed":true}`, out)
				}
				return
			}
			require.ErrorIs(t, err, c.kind)
			if c.kind == abi.ErrTrap {
				assert.ErrorContains(t, err, fmt.Sprintf("%s: range [%d, %d) is outside the guest's 65536-byte memory", names[c.fn], c.ptr, c.ptr+c.len))
			}
			assert.EqualValues(t, 1, m.Stats().Discarded, "the instance is thrown away")
		})
	}
}
