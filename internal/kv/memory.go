package kv

import (
	"context"
	"sync"
	"time"
)

// Memory is the store in this process's memory: what a single relay, or
// the command line, uses.
type Memory struct {
	limits Limits
	now    func() time.Time
	bounds bounds

	mu      sync.Mutex
	modules map[string]*space
}

// space is one module's keys and the bytes they take.
type space struct {
	items map[string]item
	bytes int64
}

type item struct {
	value []byte
	until time.Time // zero: no expiry
}

var _ Store = (*Memory)(nil)

// NewMemory makes an empty store; now is the clock (time.Now when nil).
func NewMemory(limits Limits, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{limits: limits.withDefaults(), now: now, modules: map[string]*space{}}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, module, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sp := m.modules[module]
	if sp == nil {
		return nil, false, nil
	}
	it, ok := sp.items[key]
	if !ok {
		return nil, false, nil
	}
	if m.expired(it) {
		sp.drop(key)
		return nil, false, nil
	}
	return append([]byte(nil), it.value...), true, nil
}

// Set implements Store. A module over its bound first loses its expired
// keys; if it is still over, the value is refused.
func (m *Memory) Set(_ context.Context, module, key string, value []byte, ttl time.Duration) error {
	if err := m.limits.check(key, value); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sp := m.modules[module]
	if sp == nil {
		sp = &space{items: map[string]item{}}
		m.modules[module] = sp
	}
	size := int64(len(key) + len(value))
	grow := size
	if old, ok := sp.items[key]; ok {
		grow -= int64(len(key) + len(old.value))
	}
	max := m.bounds.of(module, m.limits.MaxBytes)
	if sp.bytes+grow > max {
		for k, it := range sp.items {
			if m.expired(it) {
				sp.drop(k)
			}
		}
		grow = size
		if old, ok := sp.items[key]; ok {
			grow -= int64(len(key) + len(old.value))
		}
		if sp.bytes+grow > max {
			return ErrFull
		}
	}
	it := item{value: append([]byte(nil), value...)}
	if ttl > 0 {
		it.until = m.now().Add(ttl)
	}
	sp.drop(key)
	sp.items[key] = it
	sp.bytes += size
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, module, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sp := m.modules[module]; sp != nil {
		sp.drop(key)
	}
	return nil
}

func (m *Memory) expired(it item) bool { return !it.until.IsZero() && !m.now().Before(it.until) }

func (sp *space) drop(key string) {
	if it, ok := sp.items[key]; ok {
		sp.bytes -= int64(len(key) + len(it.value))
		delete(sp.items, key)
	}
}

// SetBound sets module's own MaxBytes (0: the store's again), for the
// next Set: keys it holds over a lowered bound stay until they expire or
// are deleted.
func (m *Memory) SetBound(module string, maxBytes int64) { m.bounds.set(module, maxBytes) }
