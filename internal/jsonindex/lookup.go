package jsonindex

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// Lookup returns the bytes of the value path names (a JSON Pointer, RFC
// 6901: "" for the whole document, "/data/status/value", "/tags/0",
// "/a~1b" for the key "a/b", "/m~0n" for "m~n"), with Found; or nil and
// Missing when the pointer names no value (an object without the key, an
// array index past the end or not a canonical decimal index such as "01"
// or "-", a scalar with anything below it), or BadPath. The value's bytes
// are the document's, white space around them excluded. scratch holds the
// decoded segments of a path with "~" escapes; it is grown as needed and
// may be reused from call to call (nil is fine).
func (ix *Index) Lookup(path []byte, scratch *[]byte) ([]byte, Status) {
	if m := ix.memo; m != nil && len(path) <= memoMaxPath {
		return m.lookup(ix, path, scratch)
	}
	return ix.lookup(path, scratch)
}

func (ix *Index) lookup(path []byte, scratch *[]byte) ([]byte, Status) {
	if len(path) == 0 {
		if len(ix.nodes) == 0 {
			return nil, Missing
		}
		return ix.doc[ix.nodes[0].Off:ix.nodes[0].End], Found
	}
	if path[0] != '/' {
		return nil, BadPath
	}
	// Check the whole pointer first: a bad escape anywhere is BadPath,
	// even past a segment that names nothing. (A byte loop: paths are
	// short, and a call of bytes.IndexByte per segment cost more than
	// the loop.)
	escaped := false
	for _, c := range path {
		if c == '~' {
			escaped = true
			break
		}
	}
	if escaped && !validEscapes(path) {
		return nil, BadPath
	}
	if len(ix.nodes) == 0 {
		return nil, Missing
	}
	cur := uint32(0)
	for len(path) > 0 {
		// path starts with '/': the next segment runs to the next '/'.
		k := 1
		for k < len(path) && path[k] != '/' {
			k++
		}
		seg := path[1:k]
		path = path[k:]
		if escaped {
			seg = unescape(seg, scratch)
		}
		nd := &ix.nodes[cur]
		switch ix.doc[nd.Off] {
		case '{':
			found := uint32(0)
			for c := cur + 1; c < nd.Next; {
				m := &ix.nodes[c]
				// Most keys differ in length from seg: the common case is
				// decided here, without a call.
				if m.KeyLen&keyEscaped != 0 {
					if ix.keyEqual(m, seg) {
						found = c
					}
				} else if int(m.KeyLen) == len(seg) && string(ix.doc[m.Key:m.Key+m.KeyLen]) == string(seg) {
					found = c // the last of duplicate keys wins: keep looking
				}
				c = m.Next
			}
			if found == 0 {
				return nil, Missing
			}
			cur = found
		case '[':
			i, ok := arrayIndex(seg)
			if !ok {
				return nil, Missing
			}
			c := cur + 1
			for ; c < nd.Next && i > 0; i-- {
				c = ix.nodes[c].Next
			}
			if c >= nd.Next {
				return nil, Missing
			}
			cur = c
		default:
			return nil, Missing
		}
	}
	nd := &ix.nodes[cur]
	return ix.doc[nd.Off:nd.End], Found
}

// validEscapes reports whether every "~" of path is followed by "0" or "1".
func validEscapes(path []byte) bool {
	for i := 0; i < len(path); i++ {
		if path[i] == '~' {
			if i+1 >= len(path) || (path[i+1] != '0' && path[i+1] != '1') {
				return false
			}
			i++
		}
	}
	return true
}

// unescape decodes a segment's "~1" and "~0" into *scratch (RFC 6901:
// "~1" first, so "~01" is "~1").
func unescape(seg []byte, scratch *[]byte) []byte {
	var buf []byte
	if scratch != nil {
		buf = (*scratch)[:0]
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '~' && i+1 < len(seg) {
			i++
			if seg[i] == '1' {
				c = '/'
			}
		}
		buf = append(buf, c)
	}
	if scratch != nil {
		*scratch = buf
	}
	return buf
}

// arrayIndex parses an array index segment: "0", or digits without a
// leading zero, below 2^32.
func arrayIndex(seg []byte) (uint32, bool) {
	if len(seg) == 0 || len(seg) > 10 || (seg[0] == '0' && len(seg) > 1) {
		return 0, false
	}
	var v uint64
	for _, c := range seg {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v >= 1<<32 {
		return 0, false
	}
	return uint32(v), true
}

// keyEqual reports whether member nd's key, decoded, is seg.
func (ix *Index) keyEqual(nd *node, seg []byte) bool {
	raw := ix.doc[nd.Key : nd.Key+nd.KeyLen&^keyEscaped]
	if nd.KeyLen&keyEscaped == 0 {
		return string(raw) == string(seg)
	}
	if len(seg) > len(raw) { // decoding only shortens
		return false
	}
	var buf [utf8.UTFMax]byte
	j := 0
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			if j >= len(seg) || raw[i] != seg[j] {
				return false
			}
			i, j = i+1, j+1
			continue
		}
		r, n := decodeEscape(raw[i:])
		i += n
		k := utf8.EncodeRune(buf[:], r)
		if j+k > len(seg) || string(buf[:k]) != string(seg[j:j+k]) {
			return false
		}
		j += k
	}
	return j == len(seg)
}

// decodeEscape decodes the escape at the start of s (s[0] is '\\') and
// returns the rune and the bytes it took: a surrogate pair is one rune, a
// lone surrogate U+FFFD (as encoding/json decodes it).
func decodeEscape(s []byte) (rune, int) {
	if len(s) < 2 {
		return utf8.RuneError, len(s)
	}
	switch s[1] {
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return utf8.RuneError, min(len(s), 2)
		}
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if lo, ok := hex4(s[8:]); ok {
					if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
						return d, 12
					}
				}
			}
			return utf8.RuneError, 6
		}
		return r, 6
	}
	return rune(s[1]), 2 // \" \\ \/
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// DecodeString decodes the JSON string token v (with its quotes, as
// Lookup returns it) into dst, at most len(dst) bytes, and returns the
// length of the whole decoded text, which is valid UTF-8 when v is valid
// JSON. It returns -1 when v is not a string.
func DecodeString(dst, v []byte) int {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return -1
	}
	s := v[1 : len(v)-1]
	k := bytes.IndexByte(s, '\\')
	if k < 0 {
		copy(dst, s)
		return len(s)
	}
	copy(dst, s[:k])
	n := k
	var buf [utf8.UTFMax]byte
	for i := k; i < len(s); {
		c := s[i]
		if c != '\\' {
			// Copy the run up to the next escape at once.
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				j = len(s) - i
			}
			if n < len(dst) {
				copy(dst[n:], s[i:i+j])
			}
			n += j
			i += j
			continue
		}
		r, w := decodeEscape(s[i:])
		i += w
		m := utf8.EncodeRune(buf[:], r)
		if n < len(dst) {
			copy(dst[n:], buf[:m])
		}
		n += m
	}
	return n
}
