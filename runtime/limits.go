package runtime

import (
	goruntime "runtime"
	"time"

	"github.com/wasmhook/wasmhook/internal/units"
)

// Limits bound what one module may use. A zero field means "inherit": a
// module's zero fields take the engine's values, and the engine's take
// [DefaultLimits]. Limits is a plain value: copy it freely. The yaml tags
// are the keys of a settings file (registry.ModuleSettings).
type Limits struct {
	// Timeout bounds one call in wall-clock time (for a command, its whole
	// run). There is no instruction counting: a guest is stopped when the
	// deadline passes, at its next function call or loop back-edge.
	Timeout time.Duration `yaml:"timeout"`
	// StartTimeout bounds the creation of one reactor instance: its start
	// function and _initialize. It happens once per pool slot, not per event.
	StartTimeout time.Duration `yaml:"start_timeout"`
	// MemoryBytes bounds one instance's linear memory. Rounded down to
	// whole 64 KiB pages.
	MemoryBytes Bytes `yaml:"memory"`
	// OutputBytes bounds the output of one call.
	OutputBytes Bytes `yaml:"output"`
	// LogBytes bounds what one call may log (guest log lines, and stderr).
	LogBytes Bytes `yaml:"log"`
	// PoolSize bounds the instances of one module alive at once, which is
	// also how many calls of that module run at once.
	PoolSize int `yaml:"pool"`
}

// Bytes is a size in bytes. As text (a settings file, a flag) it is a
// number of bytes or a size like 64KiB or 32MiB.
type Bytes uint64

// UnmarshalText parses a size like 65536, 64KiB or 32MiB.
func (b *Bytes) UnmarshalText(text []byte) error {
	n, err := units.ParseBytes(string(text))
	if err != nil {
		return err
	}
	*b = Bytes(n)
	return nil
}

// String writes the size in the largest binary unit it reaches: 64 KiB.
func (b Bytes) String() string { return units.FormatBytes(uint64(b)) }

// DefaultLimits returns the limits in force where nobody set one.
// RATIONALE.md says why each value.
func DefaultLimits() Limits { return defaultLimits }

var defaultLimits = Limits{
	Timeout:      200 * time.Millisecond,
	StartTimeout: 5 * time.Second,
	MemoryBytes:  64 << 20,
	OutputBytes:  64 << 10,
	LogBytes:     16 << 10,
	PoolSize:     0, // 0 here means GOMAXPROCS at the time of use
}

// Or returns l with every zero field taken from def.
func (l Limits) Or(def Limits) Limits {
	if l.Timeout <= 0 {
		l.Timeout = def.Timeout
	}
	if l.StartTimeout <= 0 {
		l.StartTimeout = def.StartTimeout
	}
	if l.MemoryBytes == 0 {
		l.MemoryBytes = def.MemoryBytes
	}
	if l.OutputBytes == 0 {
		l.OutputBytes = def.OutputBytes
	}
	if l.LogBytes == 0 {
		l.LogBytes = def.LogBytes
	}
	if l.PoolSize <= 0 {
		l.PoolSize = def.PoolSize
	}
	return l
}

// resolved returns l with every field set: zeros from DefaultLimits(), and a
// zero pool size as GOMAXPROCS.
func (l Limits) resolved() Limits {
	l = l.Or(defaultLimits)
	if l.PoolSize <= 0 {
		l.PoolSize = goruntime.GOMAXPROCS(0)
	}
	if l.MemoryBytes < pageSize {
		l.MemoryBytes = pageSize
	}
	if l.MemoryBytes > maxMemoryBytes {
		l.MemoryBytes = maxMemoryBytes
	}
	return l
}

const (
	pageSize       = 64 << 10
	maxMemoryBytes = 4 << 30
	// maxErrorMessage is how much of a guest's error_set message is kept.
	maxErrorMessage = 1 << 10
)
