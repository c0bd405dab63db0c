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
	depth int  // nested objects open
	more  bool // the current object has a member: the next needs a comma
}

// Reset empties the object, keeping its buffer.
func (o *Object) Reset() {
	o.buf = append(o.buf[:0], '{')
	o.depth, o.more = 0, false
}

// key starts a member: a comma when needed, the key and the colon.
func (o *Object) key(k string) {
	if len(o.buf) == 0 {
		o.buf = append(o.buf, '{')
	}
	if o.more {
		o.buf = append(o.buf, ',')
	}
	o.buf = appendQuoted(o.buf, k)
	o.buf = append(o.buf, ':')
	o.more = true
}

// String adds a string member.
func (o *Object) String(key, value string) *Object {
	o.key(key)
	o.buf = appendQuoted(o.buf, value)
	return o
}

// Int adds an integer member.
func (o *Object) Int(key string, value int64) *Object {
	o.key(key)
	o.buf = strconv.AppendInt(o.buf, value, 10)
	return o
}

// Float adds a number member, in the shortest form that reads back as
// the same float64. JSON has no NaN or infinities: they are written as
// null.
func (o *Object) Float(key string, value float64) *Object {
	o.key(key)
	if math.IsNaN(value) || math.IsInf(value, 0) {
		o.buf = append(o.buf, "null"...)
	} else {
		o.buf = strconv.AppendFloat(o.buf, value, 'g', -1, 64)
	}
	return o
}

// Bool adds a true or false member.
func (o *Object) Bool(key string, value bool) *Object {
	o.key(key)
	o.buf = strconv.AppendBool(o.buf, value)
	return o
}

// Raw adds a member whose value is already JSON, written byte for byte:
// typically a [Value.Raw] of the input, so that a string is copied with
// its escapes as they are. raw must be one valid JSON value; an empty raw
// (a missing Value) is written as null.
func (o *Object) Raw(key string, raw []byte) *Object {
	o.key(key)
	if len(raw) == 0 {
		o.buf = append(o.buf, "null"...)
	} else {
		o.buf = append(o.buf, raw...)
	}
	return o
}

// Nested adds a member holding an object and makes it current: the
// members written next go into it, until End.
func (o *Object) Nested(key string) *Object {
	o.key(key)
	o.buf = append(o.buf, '{')
	o.depth++
	o.more = false
	return o
}

// End closes the object opened by the last Nested still open; it does
// nothing when none is.
func (o *Object) End() *Object {
	if o.depth > 0 {
		o.buf = append(o.buf, '}')
		o.depth--
		o.more = true
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
