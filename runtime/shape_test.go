package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/runtime"
)

// leb encodes v as an unsigned LEB128.
func leb(v uint32) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

// section encodes one section.
func section(id byte, parts ...[]byte) []byte {
	var content []byte
	for _, p := range parts {
		content = append(content, p...)
	}
	return append(append([]byte{id}, leb(uint32(len(content)))...), content...)
}

func module(sections ...[]byte) []byte {
	bin := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		bin = append(bin, s...)
	}
	return bin
}

// TestModulesThatClaimMoreThanTheyHold: a few bytes announcing billions of
// entries, or a name of gigabytes, are refused before the compiler reads
// them: wazero makes a vector's entries from its count before reading
// them, and each of these ended the host with "fatal error: out of memory".
func TestModulesThatClaimMoreThanTheyHold(t *testing.T) {
	const huge = 0xFFFFFFF0
	oneType := section(1, leb(1), []byte{0x60, 0, 0})
	oneFunc := section(3, leb(1), leb(0))
	body := func(b []byte) []byte { return append(leb(uint32(len(b))), b...) }
	cases := map[string][]byte{
		"imports":             module(section(2, leb(huge))),
		"functions":           module(section(3, leb(huge))),
		"tables":              module(section(4, leb(huge))),
		"memories":            module(section(5, leb(huge))),
		"globals":             module(section(6, leb(huge))),
		"exports":             module(section(7, leb(huge))),
		"element segments":    module(section(9, leb(huge))),
		"code bodies":         module(section(10, leb(huge))),
		"data segments":       module(section(11, leb(huge))),
		"tags":                module(section(13, leb(huge))),
		"section size":        append(module(), append([]byte{0}, leb(huge)...)...),
		"custom section name": module(section(0, leb(huge))),
		"function names":      module(section(0, leb(4), []byte("name"), []byte{1}, leb(5), leb(huge))),
		"local names":         module(section(0, leb(4), []byte("name"), []byte{2}, leb(5), leb(1), leb(0), leb(huge))),
		"type parameters":     module(section(1, leb(1), []byte{0x60}, leb(huge))),
		"import name":         module(section(2, leb(1), leb(huge))),
		"export name":         module(section(7, leb(1), leb(huge))),
		"element indices":     module(oneType, oneFunc, section(9, leb(1), leb(1), []byte{0}, leb(huge))),
		"element exprs":       module(section(9, leb(1), leb(5), []byte{0x70}, leb(huge))),
		"data bytes":          module(section(5, leb(1), []byte{0, 1}), section(11, leb(1), leb(1), leb(huge))),
		"locals":              module(oneType, oneFunc, section(10, leb(1), body(append(append(leb(1), leb(0x3FFFFFFF)...), 0x7e, 0x0b)))),
		"locals in groups":    module(oneType, oneFunc, section(10, leb(1), body([]byte{3, 0xa0, 0x8d, 0x06, 0x7f, 0xa0, 0x8d, 0x06, 0x7f, 0xa0, 0x8d, 0x06, 0x7f, 0x0b}))),
	}
	e := newEngine(t, runtime.Limits{}, nil)
	for name, bin := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := e.Load(context.Background(), "bomb", "bomb.wasm", bin, runtime.ModuleOptions{})
			require.ErrorIs(t, err, abi.ErrBadModule)
			assert.ErrorContains(t, err, "bomb.wasm")
			assert.ErrorContains(t, err, "invalid module")
			assert.Less(t, time.Since(start), 5*time.Second, "refused without reading gigabytes")
		})
	}
}
