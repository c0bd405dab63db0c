package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{"65536": 65536, "64KiB": 64 << 10, "32 MiB": 32 << 20, "1GiB": 1 << 30, "16kB": 16000, "2MB": 2e6, "7B": 7} {
		got, err := ParseBytes(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "lots", "-1", "1.5MiB", "99999999999999999999GiB"} {
		_, err := ParseBytes(in)
		assert.ErrorIs(t, err, ErrSize, in)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 11: "11 B", 1024: "1 KiB", 1536: "1.5 KiB", 64 << 20: "64 MiB", 3 << 30: "3 GiB"} {
		assert.Equal(t, want, FormatBytes(n))
	}
}
