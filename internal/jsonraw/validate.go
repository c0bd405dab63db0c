package jsonraw

import (
	"encoding/binary"
	"strconv"
)

// MaxDepth is the deepest nesting Validate accepts. A scalar has depth
// 0, "[]" and "{}" have depth 1, "[[1]]" has depth 2.
const MaxDepth = 1000

// Reasons reported in SyntaxError.Reason. They are fixed strings so the
// error path does not need formatting beyond the character quoted in
// reasons built by invalidChar.
const (
	reasonEOF      = "unexpected end of input"
	reasonDepth    = "nesting deeper than MaxDepth"
	reasonTrailing = "invalid character after top-level value"
	reasonControl  = "invalid control character in string"
	reasonEscape   = "invalid escape sequence in string"
	reasonHex      = "invalid hexadecimal digit in \\u escape"
	reasonNotObj   = "not a JSON object"
)

// SyntaxError says where and why b is not valid JSON.
type SyntaxError struct {
	// Offset is the byte offset in the input at which the problem was
	// detected.
	Offset int
	// Reason is a short human-readable description of the problem.
	Reason string
}

// Error returns the error in the form "offset 12: unexpected end of input".
func (e *SyntaxError) Error() string {
	return "offset " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

func syntaxErr(off int, reason string) error {
	return &SyntaxError{Offset: off, Reason: reason}
}

// invalidChar reports an unexpected byte c at offset off; context says
// what the parser was looking for.
func invalidChar(off int, c byte, context string) error {
	return syntaxErr(off, "invalid character "+quoteByte(c)+" "+context)
}

func quoteByte(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c >= 0x20 && c < 0x7f:
		return "'" + string(rune(c)) + "'"
	default:
		const hex = "0123456789abcdef"
		return string([]byte{'0', 'x', hex[c>>4], hex[c&0xf]})
	}
}

// Byte classes used by the scanners.
var (
	// isSpace is true for the four JSON whitespace bytes.
	isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}
	// strPlain is true for bytes that may appear unescaped in a string
	// and need no further attention: everything except '"', '\\' and
	// control characters below 0x20. Bytes >= 0x80 are accepted as is;
	// UTF-8 validity is the caller's business.
	strPlain = func() (t [256]bool) {
		for i := 0x20; i < 256; i++ {
			t[i] = i != '"' && i != '\\'
		}
		return t
	}()
	// hexVal maps hexadecimal digits to their value and other bytes to
	// 0xff.
	hexVal = func() (t [256]byte) {
		for i := range t {
			t[i] = 0xff
		}
		for i := byte(0); i < 10; i++ {
			t['0'+i] = i
		}
		for i := byte(0); i < 6; i++ {
			t['a'+i] = 10 + i
			t['A'+i] = 10 + i
		}
		return t
	}()
)

// skipSpace returns the offset of the first non-whitespace byte of b at
// or after i, or len(b).
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	return i
}

// Validate reports whether b is exactly one valid JSON value (RFC 8259)
// with optional surrounding whitespace, nested at most MaxDepth deep.
// It returns nil if so and a *SyntaxError otherwise; empty or
// whitespace-only input is an error.
//
// Strings must escape control characters below 0x20 and may use only
// the escapes \" \\ \/ \b \f \n \r \t and \uXXXX. Lone surrogates in
// \u escapes are accepted, as Python and encoding/json accept them.
//
// Validate does not check that the raw bytes of b are valid UTF-8;
// callers that require valid UTF-8 call utf8.Valid(b) as well.
//
// Validate does not recurse and does not allocate unless it returns an
// error: its nesting stack is a fixed-size bit set on the goroutine
// stack, so hostile nesting cannot exhaust memory or the stack.
func Validate(b []byte) error {
	// Bit d of stack is set when nesting level d is an object and clear
	// when it is an array.
	var stack [(MaxDepth + 63) / 64]uint64
	depth := 0
	i := skipSpace(b, 0)
	var err error
value:
	for {
		// Here i is where a value must start.
		if i >= len(b) {
			return syntaxErr(i, reasonEOF)
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth >= MaxDepth {
				return syntaxErr(i, reasonDepth)
			}
			i = skipSpace(b, i+1)
			if i >= len(b) {
				return syntaxErr(i, reasonEOF)
			}
			if c == '{' {
				if b[i] == '}' {
					i++
					break // An empty object is a complete value.
				}
				stack[depth>>6] |= 1 << (depth & 63)
				depth++
				if i, err = scanKey(b, i); err != nil {
					return err
				}
				continue value
			}
			if b[i] == ']' {
				i++
				break // An empty array is a complete value.
			}
			stack[depth>>6] &^= 1 << (depth & 63)
			depth++
			continue value
		case '"':
			if i, err = scanString(b, i); err != nil {
				return err
			}
		case 't':
			if i, err = scanLiteral(b, i, "true"); err != nil {
				return err
			}
		case 'f':
			if i, err = scanLiteral(b, i, "false"); err != nil {
				return err
			}
		case 'n':
			if i, err = scanLiteral(b, i, "null"); err != nil {
				return err
			}
		default:
			if i, err = scanNumber(b, i); err != nil {
				return err
			}
		}
		// A complete value ends just before i. Close finished containers
		// until another value is due or the input ends.
		for {
			i = skipSpace(b, i)
			if depth == 0 {
				if i != len(b) {
					return syntaxErr(i, reasonTrailing)
				}
				return nil
			}
			if i >= len(b) {
				return syntaxErr(i, reasonEOF)
			}
			d := depth - 1
			inObject := stack[d>>6]&(1<<(d&63)) != 0
			switch c := b[i]; {
			case c == ',':
				i = skipSpace(b, i+1)
				if inObject {
					if i, err = scanKey(b, i); err != nil {
						return err
					}
				}
				continue value
			case c == '}' && inObject, c == ']' && !inObject:
				depth--
				i++
			case inObject:
				return invalidChar(i, c, "after object member, want ',' or '}'")
			default:
				return invalidChar(i, c, "after array element, want ',' or ']'")
			}
		}
	}
}

// scanKey scans an object key and the colon after it, starting at i,
// and returns the offset of the start of the member's value (after
// whitespace).
func scanKey(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, syntaxErr(i, reasonEOF)
	}
	if b[i] != '"' {
		return i, invalidChar(i, b[i], "looking for beginning of object key string")
	}
	i, err := scanString(b, i)
	if err != nil {
		return i, err
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, syntaxErr(i, reasonEOF)
	}
	if b[i] != ':' {
		return i, invalidChar(i, b[i], "after object key, want ':'")
	}
	return skipSpace(b, i+1), nil
}

// scanString scans the string starting with the quote at b[i] and
// returns the offset just past its closing quote.
func scanString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		// Skip eight plain bytes at a time while no byte is '"', '\\'
		// or below 0x20, then finish byte by byte.
		for len(b)-j >= 8 {
			x := binary.LittleEndian.Uint64(b[j:])
			if hasSpecial(x) {
				break
			}
			j += 8
		}
		for j < len(b) && strPlain[b[j]] {
			j++
		}
		if j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		switch b[j] {
		case '"':
			return j + 1, nil
		case '\\':
			j++
			if j >= len(b) {
				return j, syntaxErr(j, reasonEOF)
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				j++
				for k := 0; k < 4; k++ {
					if j >= len(b) {
						return j, syntaxErr(j, reasonEOF)
					}
					if hexVal[b[j]] == 0xff {
						return j, syntaxErr(j, reasonHex)
					}
					j++
				}
			default:
				return j, syntaxErr(j, reasonEscape)
			}
		default: // A control character below 0x20.
			return j, syntaxErr(j, reasonControl)
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasSpecial reports whether any of the eight bytes in x is '"', '\\'
// or below 0x20 (it has no false negatives; false positives only make
// the caller fall back to byte-wise scanning).
func hasSpecial(x uint64) bool {
	quote := x ^ (lsb * '"')
	bslash := x ^ (lsb * '\\')
	return ((x-lsb*0x20)|(quote-lsb)|(bslash-lsb))&^x&msb != 0
}

// scanLiteral checks that b[i:] starts with lit and returns the offset
// after it.
func scanLiteral(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		j := i + k
		if j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		if b[j] != lit[k] {
			return j, invalidChar(j, b[j], "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

func isDigit(c byte) bool { return c-'0' < 10 }

// scanNumber scans a number starting at b[i] and returns the offset
// after it. Grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	j := i
	if b[j] == '-' {
		j++
		if j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		if !isDigit(b[j]) {
			return j, invalidChar(j, b[j], "in numeric literal")
		}
	}
	switch c := b[j]; {
	case c == '0':
		j++
	case isDigit(c):
		j++
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return j, invalidChar(j, c, "looking for beginning of value")
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		if !isDigit(b[j]) {
			return j, invalidChar(j, b[j], "after decimal point in numeric literal")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		if !isDigit(b[j]) {
			return j, invalidChar(j, b[j], "in exponent of numeric literal")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, nil
}
