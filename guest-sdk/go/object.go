package wasmhook

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Object writes a JSON object member by member into a buffer it keeps, so
// that a plugin can build its result without encoding/json and, once the
// buffer has grown to size, without allocating. Members come out in the
// order they are written, compact:
//
//	out.String("site_status", "active").Int("name_len", 10)
//	// {"site_status":"active","name_len":10}
//
// Strings (keys and values) are written as UTF-8 with `"` and `\` escaped
// by a backslash and control characters as \u00XX (lowercase hex); an
// invalid UTF-8 byte becomes \ufffd, so the output is always valid JSON
// that the host accepts. Object does not check for duplicate keys.
//
// The zero Object is an empty object, ready to use. [HandleObject] hands
// the handler one that is reset before every event.
type Object struct {
	buf   []byte
	depth int // nested objects open
	comma int // 1 when the current object has a member (the next needs a comma), else 0
}

// Reset empties the object, keeping its buffer.
func (o *Object) Reset() {
	o.buf = append(o.buf[:0], '{')
	o.depth, o.comma = 0, 0
}

// key starts a member: a comma when needed, the key and the colon, and
// returns the buffer for the value; the method stores it once (in a Go
// guest every store to o.buf is a memory write with a write barrier
// check). A key of 1 to 16 bytes (the usual one) is read as two 8-byte
// words, checked with two masks and stored as two words, the comma with
// it: no loop, no copy call and no other call. In a Go guest that
// matters: Go's wasm back end turns every jump into a trip through the
// function's dispatch, and every call costs a prologue and a check on
// the way back. So this path is kept small, and anything else goes to
// keySlow.
func (o *Object) key(k string) []byte {
	b := o.buf
	n := len(b)
	if uint(len(k))-1 >= 16 || cap(b)-n < 1+16+3 || n == 0 {
		return o.keySlow(k)
	}
	// head is the first eight bytes and tail the last eight: they
	// overlap when the key is shorter than 16 bytes, and the overlap is
	// stored twice, the same bytes. A key shorter than eight bytes is
	// all in tail.
	tail := tail64(k)
	var head, special uint64
	if len(k) < 8 {
		tail >>= 64 - 8*uint(len(k)) // the key's bytes, low first; zeros above
		head = tail
		special = specialMask(tail) & (msb >> (64 - 8*uint(len(k))))
	} else {
		head = load64(k, 0)
		special = specialMask(head) | specialMask(tail)
	}
	if special != 0 {
		return o.keySlow(k)
	}
	c := o.comma
	room := b[n : n+1+16+3 : n+1+16+3]
	room[0] = ',' // overwritten by the quote when no comma is needed
	room[c] = '"'
	store64(room, c+1, head)
	store64(room, c+1+len(k)-min(len(k), 8), tail)
	room[c+1+len(k)] = '"'
	room[c+2+len(k)] = ':'
	o.comma = 1
	return b[:n+c+len(k)+3]
}

// keySlow is key for a key that is empty, longer than 16 bytes or needs
// escaping, an Object never reset, or a buffer that must grow.
//
//go:noinline
func (o *Object) keySlow(k string) []byte {
	b := o.buf
	if len(b) == 0 {
		b = append(b, '{')
	}
	if o.comma != 0 {
		b = append(b, ',')
	}
	o.comma = 1
	return appendKey(b, k)
}

// appendKey appends k quoted, and a colon. The key is copied whole and
// checked eight bytes at a time in place (the buffer keeps 8 bytes of
// room beyond it for that); one that needs escaping goes through
// appendQuoted.
func appendKey(b []byte, k string) []byte {
	n := len(b)
	if cap(b)-n < len(k)+3+8 {
		b = append(b[:cap(b)], make([]byte, max(len(k)+3+8, 1+16+3))...)[:n]
	}
	b = b[:n+len(k)+3]
	b[n] = '"'
	copy(b[n+1:], k)
	room := b[n+1 : n+1+len(k)+8]
	for p := 0; p < len(k); p += 8 {
		m := specialMask(load64(room, p))
		if rest := len(k) - p; rest < 8 {
			m &= 1<<(8*rest) - 1 // the bytes past the key are not its own
		}
		if m != 0 {
			return append(appendQuoted(b[:n], k), ':')
		}
	}
	b[n+1+len(k)] = '"'
	b[n+2+len(k)] = ':'
	return b
}

// String adds a string member.
func (o *Object) String(key, value string) *Object {
	o.buf = appendQuoted(o.key(key), value)
	return o
}

// Int adds an integer member.
func (o *Object) Int(key string, value int64) *Object {
	b := o.key(key)
	switch {
	case uint64(value) < 10:
		o.buf = append(b, byte('0'+value))
	case uint64(value) < 100: // the usual count or length, without a call
		o.buf = append(b, byte('0'+value/10), byte('0'+value%10))
	default:
		o.buf = strconv.AppendInt(b, value, 10)
	}
	return o
}

// Float adds a number member, in the shortest form that reads back as
// the same float64. JSON has no NaN or infinities: they are written as
// null.
func (o *Object) Float(key string, value float64) *Object {
	b := o.key(key)
	if math.IsNaN(value) || math.IsInf(value, 0) {
		o.buf = append(b, "null"...)
	} else {
		o.buf = strconv.AppendFloat(b, value, 'g', -1, 64)
	}
	return o
}

// Bool adds a true or false member.
func (o *Object) Bool(key string, value bool) *Object {
	o.buf = strconv.AppendBool(o.key(key), value)
	return o
}

// Raw adds a member whose value is already JSON, written byte for byte:
// typically a [Value.Raw] of the input, so that a string is copied with
// its escapes as they are. raw must be one valid JSON value; an empty raw
// (a missing Value) is written as null.
func (o *Object) Raw(key string, raw []byte) *Object {
	b := o.key(key)
	if len(raw) == 0 {
		o.buf = append(b, "null"...)
	} else {
		o.buf = append(b, raw...)
	}
	return o
}

// Nested adds a member holding an object and makes it current: the
// members written next go into it, until End.
func (o *Object) Nested(key string) *Object {
	o.buf = append(o.key(key), '{')
	o.depth++
	o.comma = 0
	return o
}

// End closes the object opened by the last Nested still open; it does
// nothing when none is.
func (o *Object) End() *Object {
	if o.depth > 0 {
		o.buf = append(o.buf, '}')
		o.depth--
		o.comma = 1
	}
	return o
}

// Bytes returns the object as JSON, closing the nested objects still
// open, without changing o: more members can still be written. The bytes
// share o's buffer and are valid until o is next written to.
func (o *Object) Bytes() []byte {
	b := o.buf
	if len(b) == 0 {
		b = append(b, '{')
	}
	if o.depth == 0 {
		return append(b, '}')
	}
	for range o.depth + 1 {
		b = append(b, '}')
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string: `"` and `\` escaped by a
// backslash, control characters as \u00XX, invalid UTF-8 bytes as \ufffd,
// everything else as it is.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		j := nextSpecial(s, i)
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		switch c := s[j]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i = j + 1
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i = j + 1
		default:
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[j:j+n]...)
			}
			i = j + n
		}
	}
	return append(dst, '"')
}
