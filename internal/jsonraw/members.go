package jsonraw

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Members calls fn for each member of the JSON object obj, in order,
// with the key decoded and the value's raw bytes. It stops at and
// returns fn's first error. obj must be a valid object (it may assume
// Validate(obj) returned nil), with optional leading and trailing
// whitespace; if obj is not an object Members returns a *SyntaxError
// without calling fn. For other invalid input Members returns an error
// where it happens to notice one, possibly after calling fn for earlier
// members, and never panics.
//
// Keys are decoded as encoding/json does: escapes are resolved, a valid
// surrogate pair becomes one rune, and lone surrogates and invalid
// UTF-8 bytes become U+FFFD, so the key is always valid UTF-8. Duplicate
// keys are passed to fn as often as they occur.
//
// The value is the member's bytes exactly as they appear in obj,
// without surrounding whitespace; its capacity is trimmed to its length
// so appending to it cannot overwrite obj.
//
// To avoid allocating, the key shares memory with obj when it contains
// no escapes and is valid UTF-8 (the common case), just as value does.
// Both stay valid as long as obj is not modified; a callback that keeps
// a key while obj may later change must copy it with strings.Clone.
// Keys containing escapes are decoded into newly allocated strings.
func Members(obj []byte, fn func(key string, value []byte) error) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return syntaxErr(i, reasonNotObj)
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return endOfObject(obj, i+1)
	}
	for {
		if i >= len(obj) {
			return syntaxErr(i, reasonEOF)
		}
		if obj[i] != '"' {
			return invalidChar(i, obj[i], "looking for beginning of object key string")
		}
		var key string
		end, plain := skipPlainString(obj, i)
		if plain {
			// No escapes, all ASCII: the key is its bytes.
			key = unsafe.String(unsafe.SliceData(obj[i+1:]), end-i-2)
		} else {
			var err error
			if end, err = skipString(obj, i); err != nil {
				return err
			}
			key = decodeKey(obj[i+1 : end-1])
		}
		i = skipSpace(obj, end)
		if i >= len(obj) {
			return syntaxErr(i, reasonEOF)
		}
		if obj[i] != ':' {
			return invalidChar(i, obj[i], "after object key, want ':'")
		}
		i = skipSpace(obj, i+1)
		end, err := skipValue(obj, i)
		if err != nil {
			return err
		}
		if err := fn(key, obj[i:end:end]); err != nil {
			return err
		}
		i = skipSpace(obj, end)
		if i >= len(obj) {
			return syntaxErr(i, reasonEOF)
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return endOfObject(obj, i+1)
		default:
			return invalidChar(i, obj[i], "after object member, want ',' or '}'")
		}
	}
}

// endOfObject checks that only whitespace follows offset i.
func endOfObject(b []byte, i int) error {
	if i = skipSpace(b, i); i != len(b) {
		return syntaxErr(i, reasonTrailing)
	}
	return nil
}

// skipPlainString returns the offset just past the closing quote of the
// string whose opening quote is b[i] and true, when the string is plain:
// printable ASCII without escapes, as most keys are. Otherwise it returns
// false, having stopped at the first byte that is not plain.
func skipPlainString(b []byte, i int) (int, bool) {
	j := nextSpecial(b, i+1)
	if j >= len(b) {
		return j, false
	}
	return j + 1, b[j] == '"'
}

// skipString returns the offset just past the closing quote of the
// string whose opening quote is b[i]. It does not validate the string's
// contents.
func skipString(b []byte, i int) (int, error) {
	if end, plain := skipPlainString(b, i); plain {
		return end, nil
	}
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b), syntaxErr(len(b), reasonEOF)
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede
		// it. Each backslash is looked at by at most one such count,
		// because counting stops at the previous quote or earlier.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j, nil
		}
	}
}

// skipValue returns the offset just past the value that starts at b[i],
// relying on b being valid: containers are skipped by counting brackets
// outside strings, scalars by scanning to the next delimiter.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, syntaxErr(i, reasonEOF)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return end, err
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
			j++
		}
		return len(b), syntaxErr(len(b), reasonEOF)
	}
	j := i
	for j < len(b) && !isDelim(b[j]) {
		j++
	}
	if j == i {
		return i, invalidChar(i, b[i], "looking for beginning of value")
	}
	return j, nil
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || isSpace[c]
}

// decodeKey decodes the contents of a JSON string (without its quotes).
// When raw has no escapes and is valid UTF-8, the result shares raw's
// memory.
func decodeKey(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return unsafe.String(&raw[0], len(raw))
	}
	var tmp [64]byte
	return string(unquote(tmp[:0], raw))
}

// unquote appends the decoded form of the JSON string contents raw to
// dst, the way encoding/json decodes strings.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return utf8.AppendRune(dst, utf8.RuneError)
			}
			switch e := raw[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(raw, i+2)
				if !ok {
					// Not valid JSON; keep going without panicking.
					dst = utf8.AppendRune(dst, utf8.RuneError)
					i += 2
					continue
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2, ok := hex4(raw, i+2); ok {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								dst = utf8.AppendRune(dst, d)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/', and anything invalid kept as is
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// hex4 decodes the four hexadecimal digits at raw[i:i+4].
func hex4(raw []byte, i int) (rune, bool) {
	if i < 0 || len(raw)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		v := hexVal[c]
		if v == 0xff {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}
