package jsonraw

import (
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

var (
	// compactSafe is true for ASCII bytes AppendString writes as is.
	compactSafe = func() (t [utf8.RuneSelf]bool) {
		for c := 0x20; c < utf8.RuneSelf; c++ {
			t[c] = c != '"' && c != '\\'
		}
		return t
	}()
	// asciiSafe is true for ASCII bytes AppendASCIIString writes as is:
	// Python's ensure_ascii writes ' ' through '~' except '"' and '\\'
	// and escapes everything else, DEL (0x7f) included.
	asciiSafe = func() (t [utf8.RuneSelf]bool) {
		for c := 0x20; c < 0x7f; c++ {
			t[c] = c != '"' && c != '\\'
		}
		return t
	}()
)

// appendASCIIEscape appends the escape for an ASCII byte that is not
// safe: short forms where JSON has them, \u00XX otherwise.
func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendU4 appends \uXXXX with lowercase hexadecimal digits.
func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// AppendString appends s to dst as a compact JSON string and returns
// the extended buffer. It escapes '"', '\\' and control characters
// (\n \r \t \b \f in their short forms, others as \u00XX) and U+2028
// and U+2029 as \u2028 and \u2029, which JavaScript parsers reject raw.
// Other characters are written as raw UTF-8, with no HTML escaping.
// Each byte of s that is not part of valid UTF-8 becomes \ufffd.
//
// The output is byte-for-byte what encoding/json's Encoder writes for a
// string with SetEscapeHTML(false).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are printable ASCII other
		// than '"' and '\\' (most of a URL, a path, a header value).
		for i+8 <= len(s) {
			if m := specialMask(load8(s, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if compactSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendASCIIEscape(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = appendU4(dst, r)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendASCIIString appends s to dst as a JSON string the way Python's
// json.dumps does with ensure_ascii=True (its default) and returns the
// extended buffer. The output is pure ASCII: '"' and '\\' are escaped,
// \n \r \t \b \f use their short forms, other control characters and
// DEL (0x7f) are written as \u00XX, and every non-ASCII rune as \uXXXX
// with lowercase hexadecimal digits (runes above U+FFFF as a UTF-16
// surrogate pair). '/', '<', '>' and '&' are not escaped. Each byte of
// s that is not part of valid UTF-8 becomes \ufffd.
func AppendASCIIString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// As in AppendString, with DEL (0x7f) flagged too.
		for i+8 <= len(s) {
			x := load8(s, i)
			if m := specialMask(x) | ((x^lsb*0x7f)-lsb)&msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendASCIIEscape(dst, c)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		r, size := utf8.DecodeRuneInString(s[i:])
		// An invalid byte decodes as RuneError (U+FFFD) with size 1.
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			dst = appendU4(dst, r1)
			dst = appendU4(dst, r2)
		} else {
			dst = appendU4(dst, r)
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// load8 returns s[i:i+8] as a little-endian word (the compiler makes it
// one load).
func load8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}
