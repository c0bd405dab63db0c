// Package kv is the small key-value store each module gets: get, set
// with a time to live, delete. Each module's keys are its own, bounded in
// size. The store is in memory (Memory) or, when several relay instances
// must share it, in Redis (Redis).
package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Store holds every module's keys. Implementations are safe for
// concurrent use.
type Store interface {
	// Get returns module's value for key; ok is false when there is none
	// (never set, deleted or expired).
	Get(ctx context.Context, module, key string) (value []byte, ok bool, err error)
	// Set sets module's key to value until ttl has passed (0: until the
	// store is closed or the key deleted). A value that would take the
	// module over its bound is refused with ErrFull.
	Set(ctx context.Context, module, key string, value []byte, ttl time.Duration) error
	// Delete deletes module's key; deleting a key that is not there is
	// no error.
	Delete(ctx context.Context, module, key string) error
}

// Limits bound what a module may keep.
type Limits struct {
	// MaxKey bounds a key's length (default 256 bytes).
	MaxKey int
	// MaxValue bounds a value's length (default 64 KiB).
	MaxValue int
	// MaxBytes bounds a module's keys and values together (default
	// 1 MiB).
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxKey <= 0 {
		l.MaxKey = 256
	}
	if l.MaxValue <= 0 {
		l.MaxValue = 64 << 10
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 1 << 20
	}
	return l
}

var (
	// ErrFull: the value would take the module over its MaxBytes.
	ErrFull = errors.New("kv: the module's store is full")
	// ErrTooLarge: a key or a value over its bound, or an empty key.
	ErrTooLarge = errors.New("kv: key or value too large")
)

func (l Limits) check(key string, value []byte) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: an empty key", ErrTooLarge)
	case len(key) > l.MaxKey:
		return fmt.Errorf("%w: a key of %d bytes (the bound is %d)", ErrTooLarge, len(key), l.MaxKey)
	case len(value) > l.MaxValue:
		return fmt.Errorf("%w: a value of %d bytes (the bound is %d)", ErrTooLarge, len(value), l.MaxValue)
	}
	return nil
}

// bounds are the modules whose MaxBytes is their own (SetBound).
type bounds struct{ m sync.Map }

func (b *bounds) set(module string, maxBytes int64) {
	if maxBytes > 0 {
		b.m.Store(module, maxBytes)
	} else {
		b.m.Delete(module)
	}
}

func (b *bounds) of(module string, def int64) int64 {
	if v, ok := b.m.Load(module); ok {
		return v.(int64)
	}
	return def
}
