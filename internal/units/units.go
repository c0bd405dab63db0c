// Package units reads and writes byte sizes the way the command line and the
// settings files spell them: 65536, 64KiB, 32MiB, 1GiB (also kB, MB, GB).
package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var units = []struct {
	suffix string
	n      uint64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3}, {"B", 1}}

// ErrSize is returned for a size that does not parse.
var ErrSize = errors.New("want a size like 65536, 64KiB or 32MiB")

// ParseBytes parses a byte size.
func ParseBytes(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.n
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (1<<63)/mult {
		return 0, ErrSize
	}
	return n * mult, nil
}

// FormatBytes writes n in the largest binary unit it reaches: exactly when
// the unit divides it, else with one decimal.
func FormatBytes(n uint64) string {
	for _, u := range units[:3] {
		if n >= u.n {
			if n%u.n == 0 {
				return fmt.Sprintf("%d %s", n/u.n, u.suffix)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.n), u.suffix)
		}
	}
	return fmt.Sprintf("%d B", n)
}
