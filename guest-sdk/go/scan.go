package wasmhook

import (
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner's primitives. They are written for the host as much as for
// the CPU: wazero, stopping guests at their deadline, leaves compiled code
// for a check at every loop iteration and at every call of a Go function
// compiled to wasm (each has a loop for goroutine switching). A guest
// pays for iterations rather than for bytes, so the hot loops look at
// eight bytes per iteration (SWAR: one 64-bit load, a few arithmetic
// operations) and stop only at the bytes that matter.

const (
	lsb = 0x0101010101010101 // the low bit of every byte
	msb = 0x8080808080808080 // the high bit of every byte
)

// The masks below have a high bit set in the bytes of x that match. The
// lowest one set is exact (a borrow may mark bytes above it too), which is
// all the scanner uses: bits.TrailingZeros64(m)/8 is the first match.

// eqMask marks the bytes of x equal to c.
func eqMask(x uint64, c byte) uint64 {
	x ^= lsb * uint64(c)
	return (x - lsb) &^ x & msb
}

// specialMask marks the bytes that end a plain run of string contents: `"`,
// `\`, control characters and non-ASCII bytes.
func specialMask(x uint64) uint64 {
	return eqMask(x, '"') | eqMask(x, '\\') | (x-lsb*0x20)&^x&msb | x&msb
}

// nextSpecial returns the offset of the first byte at or after p that is
// `"`, `\`, a control character or non-ASCII, or len(s).
func nextSpecial[T string | []byte](s T, p int) int {
	for ; p+8 <= len(s); p += 8 {
		if m := specialMask(load64(s, p)); m != 0 {
			return p + bits.TrailingZeros64(m)/8
		}
	}
	for ; p < len(s); p++ {
		if c := s[p]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return p
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// skipSpace returns the offset of the first non-space byte at or after i.
// Compact JSON has none to skip, and then no loop is entered.
func skipSpace(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the offset just past the closing quote of the string
// whose opening quote is b[i], or -1 when it is not closed, and whether
// its contents are plain: printable ASCII without escapes, the same once
// decoded. It does not validate the contents.
func skipString(b []byte, i int) (end int, plain bool) {
	plain = true
	for j := i + 1; j < len(b); {
		if j+8 <= len(b) {
			x := load64(b, j)
			var m uint64
			if plain {
				m = specialMask(x)
			} else {
				m = eqMask(x, '"') | eqMask(x, '\\')
			}
			if m == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(m) / 8
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, plain
		case c == '\\':
			j += 2 // the escaped byte cannot end the string
			plain = false
		case c < 0x20 || c >= utf8.RuneSelf:
			j++
			plain = false
		default:
			j++
		}
	}
	return -1, false
}

// skipValue returns the offset just past the value that starts at b[i],
// or -1 when there is no value there or it does not end. Containers are
// skipped by counting brackets outside strings (no recursion, so no
// depth limit is needed), scalars by scanning to the next delimiter.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '"':
		end, _ := skipString(b, i)
		return end
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); {
			if j+8 <= len(b) {
				// [ and ] are { and } with bit 5 clear.
				x := load64(b, j)
				y := x | lsb*0x20
				m := eqMask(x, '"') | eqMask(y, '{') | eqMask(y, '}')
				if m == 0 {
					j += 8
					continue
				}
				j += bits.TrailingZeros64(m) / 8
			}
			switch b[j] {
			case '"':
				// The string, here rather than in a call to skipString:
				// a call costs a Go guest a loop iteration, and with it
				// the host's check, for every string a container holds.
				// Only quotes and backslashes stop it.
				for j++; ; {
					for ; j+8 <= len(b); j += 8 {
						x := load64(b, j)
						if m := eqMask(x, '"') | eqMask(x, '\\'); m != 0 {
							j += bits.TrailingZeros64(m) / 8
							break
						}
					}
					if j >= len(b) {
						return -1
					}
					if b[j] == '"' {
						break
					}
					if b[j] == '\\' {
						j++ // the escaped byte cannot end the string
					}
					j++
				}
				j++
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return -1
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		j := i + 1
		for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ':' && b[j] != '"' && b[j] != '{' && b[j] != '[' {
			j++
		}
		return j
	}
	return -1
}

// appendDecoded appends the decoded string contents s to dst; false when
// s holds an invalid escape or a raw control character.
func appendDecoded(dst, s []byte) ([]byte, bool) {
	for p := 0; p < len(s); {
		q := nextSpecial(s, p)
		dst = append(dst, s[p:q]...)
		if q == len(s) {
			break
		}
		var r rune
		if r, p = nextRune(s, q); p < 0 {
			return dst, false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst, true
}

// runeCount counts the characters of the decoded string contents s; false
// when s holds an invalid escape or a raw control character.
func runeCount(s []byte) (int, bool) {
	n := 0
	for p := 0; p < len(s); {
		q := nextSpecial(s, p)
		n += q - p
		if q == len(s) {
			break
		}
		if _, p = nextRune(s, q); p < 0 {
			return 0, false
		}
		n++
	}
	return n, true
}

// runeCountValid is runeCount for the contents of a string the host
// validated (well-formed escapes, valid UTF-8): every byte that is not a
// UTF-8 continuation byte starts a code point, and so does every escape,
// a surrogate pair's two escapes counting as one. It looks at eight bytes
// per iteration, the last ones too (a word that ends at the end, its
// bytes already counted masked off), with no call and no loop per escape.
func runeCountValid(s []byte) int {
	n, p := 0, 0
	for p < len(s) {
		var x, mine uint64 = 0, ^uint64(0)
		switch {
		case p+8 <= len(s):
			x = load64(s, p)
		case len(s) >= 8:
			x = load64(s, len(s)-8)
			x >>= 8 * (p + 8 - len(s)) // only the bytes from p on
			mine = 1<<(8*(len(s)-p)) - 1
		default:
			for ; p < len(s) && s[p] != '\\'; p++ {
				if s[p]&0xC0 != 0x80 {
					n++
				}
			}
			if p == len(s) {
				return n
			}
			mine = 0 // an escape at p
		}
		escape := mine == 0
		if m := eqMask(x, '\\') & mine; m != 0 {
			mine &= 1<<bits.TrailingZeros64(m) - 1 // the bytes before it
			escape = true
		}
		// The bytes up to the escape or the end of the word, less their
		// continuation bytes (10xxxxxx).
		n += bits.OnesCount64(mine&msb) - bits.OnesCount64(x&^(x<<1)&msb&mine)
		p += bits.OnesCount64(mine & msb)
		if !escape {
			continue
		}
		// An escape at s[p]: one code point, or a surrogate pair's two
		// escapes for one.
		n++
		switch {
		case s[p+1] != 'u':
			p += 2
		case p+12 <= len(s) && isSurrogate(s[p+2], s[p+3], true) && s[p+6] == '\\' && s[p+7] == 'u' && isSurrogate(s[p+8], s[p+9], false):
			p += 12
		default:
			p += 6
		}
	}
	return n
}

// isSurrogate reports whether the hex digits c0 c1 begin a UTF-16 high
// surrogate (D800-DBFF) or, when high is false, a low one (DC00-DFFF).
func isSurrogate(c0, c1 byte, high bool) bool {
	if c0 != 'd' && c0 != 'D' {
		return false
	}
	c1 |= 0x20 // lower case; digits are unchanged
	if high {
		return c1 == '8' || c1 == '9' || c1 == 'a' || c1 == 'b'
	}
	return c1 >= 'c' && c1 <= 'f'
}

// decodedEquals reports whether the string contents tok decode to key.
func decodedEquals(tok []byte, key string) bool {
	var enc [utf8.UTFMax]byte
	j := 0
	for p := 0; p < len(tok); {
		q := nextSpecial(tok, p)
		if len(key)-j < q-p || string(tok[p:q]) != key[j:j+q-p] {
			return false
		}
		j += q - p
		if q == len(tok) {
			break
		}
		var r rune
		if r, p = nextRune(tok, q); p < 0 {
			return false
		}
		n := utf8.EncodeRune(enc[:], r)
		if len(key)-j < n || key[j:j+n] != string(enc[:n]) {
			return false
		}
		j += n
	}
	return j == len(key)
}

// nextRune decodes the character of string contents s at p, an escape
// or a UTF-8 sequence, the way encoding/json does, and returns it with
// the offset of the next one; next is -1 for an invalid escape or a raw
// control character (which make the string invalid JSON).
func nextRune(s []byte, p int) (r rune, next int) {
	c := s[p]
	if c != '\\' {
		if c < 0x20 {
			return 0, -1
		}
		if c < utf8.RuneSelf {
			return rune(c), p + 1
		}
		r, n := utf8.DecodeRune(s[p:]) // an invalid byte is U+FFFD, width 1
		return r, p + n
	}
	if p+1 >= len(s) {
		return 0, -1
	}
	switch s[p+1] {
	case '"', '\\', '/':
		return rune(s[p+1]), p + 2
	case 'b':
		return '\b', p + 2
	case 'f':
		return '\f', p + 2
	case 'n':
		return '\n', p + 2
	case 'r':
		return '\r', p + 2
	case 't':
		return '\t', p + 2
	case 'u':
		r := hex4(s, p+2)
		if r < 0 {
			return 0, -1
		}
		p += 6
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by a low one is one character;
			// any other surrogate is U+FFFD, and what follows it is
			// decoded on its own.
			if p+1 < len(s) && s[p] == '\\' && s[p+1] == 'u' {
				if dec := utf16.DecodeRune(r, hex4(s, p+2)); dec != utf8.RuneError {
					return dec, p + 6
				}
			}
			return utf8.RuneError, p
		}
		return r, p
	}
	return 0, -1
}

// hex4 returns the value of the four hex digits at s[p:], or -1.
func hex4(s []byte, p int) rune {
	if p+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range s[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// validNumber reports whether b is a number in JSON's grammar, which is
// stricter than strconv's (no "Inf", "0x1p3", "1_0", "+1", ".5", "01").
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
