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
// The zero value is ready to use; Reset empties it for reuse without
// freeing memory. A Merge is not safe for concurrent use.
type Merge struct {
	keys  []string
	vals  [][]byte
	index map[string]int // key -> position; nil until there are many keys
}

// Add merges the members of obj, which must be a valid JSON object (see
// Members). The keys and value bytes are retained, not copied: callers
// keep obj alive and unchanged until they are done with the Merge.
//
// If obj is not an object, Add returns an error and m is unchanged. If
// obj is otherwise invalid, Add may return an error after merging some
// of its members; call Validate first.
func (m *Merge) Add(obj []byte) error {
	return Members(obj, func(key string, value []byte) error {
		m.set(key, value)
		return nil
	})
}

func (m *Merge) set(key string, value []byte) {
	if m.index != nil {
		if i, ok := m.index[key]; ok {
			m.vals[i] = value
			return
		}
		m.index[key] = len(m.keys)
	} else {
		for i, k := range m.keys {
			if k == key {
				m.vals[i] = value
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
		m.vals = make([][]byte, 0, 8)
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, value)
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
		dst = append(dst, m.vals[i]...)
	}
	return append(dst, '}')
}
