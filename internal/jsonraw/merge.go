package jsonraw

import "strconv"

// Style selects the separators Merge.AppendObject writes.
type Style int

const (
	// Compact writes {"a":1,"b":2}, with keys written by AppendString.
	Compact Style = iota
	// Python writes {"a": 1, "b": 2}, like Python's json.dumps with its
	// default separators ", " and ": ", with keys written by
	// AppendASCIIString.
	Python
)

// String returns the name of the style, such as "Compact".
func (s Style) String() string {
	switch s {
	case Compact:
		return "Compact"
	case Python:
		return "Python"
	}
	return "Style(" + strconv.Itoa(int(s)) + ")"
}

// mapThreshold is the number of keys above which Merge indexes its keys
// with a map instead of searching the key slice linearly.
const mapThreshold = 16

// Merge accumulates objects the way Python's dict.update does: later
// values win; a key keeps the position where it was first set. This
// holds for duplicate keys within one object too, matching json.loads
// followed by dict.update.
//
// Every key remembers its owner, the number of the source that set it
// last (AddAs, SetAs; 0 for Add). A source that sets a key another source
// set before overwrites it: Overwrites lists each time that happened.
//
// The zero value is ready to use; Reset empties it for reuse without
// freeing memory. A Merge is not safe for concurrent use.
type Merge struct {
	keys  []string
	vals  []value
	index map[string]int // key -> position; nil until there are many keys
	owner int32          // the source of the values being set
	over  []Overwrite
}

// value is a key's value and the source that set it, kept together so
// that setting a key costs one append more than the key's, not two.
type value struct {
	raw   []byte
	owner int32
}

// Overwrite is a key that one source set and a later source set again.
type Overwrite struct {
	Key string
	// Prev is the source that had set the key; Owner the one that set it
	// again.
	Prev, Owner int
}

// Add merges the members of obj, which must be a valid JSON object (see
// Members), as source 0. The keys and value bytes are retained, not
// copied: callers keep obj alive and unchanged until they are done with
// the Merge.
//
// If obj is not an object, Add returns an error and m is unchanged. If
// obj is otherwise invalid, Add may return an error after merging some
// of its members; call Validate first.
func (m *Merge) Add(obj []byte) error { return m.AddAs(0, obj) }

// AddAs is Add for source owner.
func (m *Merge) AddAs(owner int, obj []byte) error {
	m.owner = int32(owner)
	return Members(obj, func(key string, value []byte) error {
		m.set(key, value)
		return nil
	})
}

// SetAs sets one key to value (raw JSON, retained) for source owner.
func (m *Merge) SetAs(owner int, key string, value []byte) {
	m.owner = int32(owner)
	m.set(key, value)
}

// Owner returns the source that set key last, and whether key is set.
func (m *Merge) Owner(key string) (int, bool) {
	if i := m.find(key); i >= 0 {
		return int(m.vals[i].owner), true
	}
	return 0, false
}

// Overwrites returns the keys that a source set again after another
// source had set them, in the order it happened. The slice is m's own,
// valid until Reset.
func (m *Merge) Overwrites() []Overwrite { return m.over }

func (m *Merge) find(key string) int {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range m.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// replace sets the value at i, noting an overwrite when another source
// had set it.
func (m *Merge) replace(i int, raw []byte) {
	if prev := m.vals[i].owner; prev != m.owner {
		m.over = append(m.over, Overwrite{Key: m.keys[i], Prev: int(prev), Owner: int(m.owner)})
	}
	m.vals[i] = value{raw, m.owner}
}

func (m *Merge) set(key string, raw []byte) {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			m.replace(i, raw)
			return
		}
		m.index[key] = len(m.keys)
	} else {
		for i, k := range m.keys {
			if k == key {
				m.replace(i, raw)
				return
			}
		}
		if len(m.keys) >= mapThreshold {
			m.index = make(map[string]int, 2*len(m.keys))
			for i, k := range m.keys {
				m.index[k] = i
			}
			m.index[key] = len(m.keys)
		}
	}
	if m.keys == nil {
		// Start with room for a typical callback's keys.
		m.keys = make([]string, 0, 8)
		m.vals = make([]value, 0, 8)
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, value{raw, m.owner})
}

// Len returns the number of distinct keys merged so far.
func (m *Merge) Len() int { return len(m.keys) }

// Reset empties m for reuse, keeping its allocated memory. It drops m's
// references to previously added objects.
func (m *Merge) Reset() {
	clear(m.keys)
	clear(m.vals)
	m.keys = m.keys[:0]
	m.vals = m.vals[:0]
	m.owner = 0
	clear(m.over)
	m.over = m.over[:0]
	clear(m.index)
}

// AppendObject appends the merged object to dst and returns the
// extended buffer. style selects the separators and key escaping:
// Compact writes {"a":1,"b":2} with keys written by AppendString;
// Python writes {"a": 1, "b": 2} with keys written by AppendASCIIString.
// Any other style is treated as Compact. Values are written as their
// raw bytes in either style, so nested values keep their original
// formatting. An empty Merge writes {}.
func (m *Merge) AppendObject(dst []byte, style Style) []byte {
	dst = append(dst, '{')
	for i, k := range m.keys {
		if style == Python {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			dst = AppendASCIIString(dst, k)
			dst = append(dst, ':', ' ')
		} else {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
		}
		dst = append(dst, m.vals[i].raw...)
	}
	return append(dst, '}')
}
