package jsonraw

import (
	"encoding/binary"
	"math/bits"
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
	reasonUTF8     = "invalid UTF-8 in string"
)

// SyntaxError says where and why b is not valid JSON.
type SyntaxError struct {
	// Offset is the byte offset in the input at which the problem was
	// detected; for invalid UTF-8, that of the first byte of the
	// invalid sequence.
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
	// strPlain is true for bytes that may appear in a string and need no
	// further attention: printable ASCII except '"' and '\\'. The
	// others are the closing quote, the start of an escape, control
	// characters below 0x20 (invalid) and bytes >= 0x80, which must form
	// valid UTF-8.
	strPlain = func() (t [256]bool) {
		for i := 0x20; i < 0x80; i++ {
			t[i] = i != '"' && i != '\\'
		}
		return t
	}()
	// isEscape is true for the bytes that may follow a backslash in a
	// string, except 'u'.
	isEscape = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}
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
// with optional surrounding whitespace, nested at most MaxDepth deep,
// and whether b is valid UTF-8. It returns nil if so and a *SyntaxError
// otherwise; empty or whitespace-only input is an error.
//
// Strings must escape control characters below 0x20 and may use only
// the escapes \" \\ \/ \b \f \n \r \t and \uXXXX. Lone surrogates in
// \u escapes are accepted, as Python and encoding/json accept them.
//
// Raw bytes >= 0x80, which JSON allows only inside strings, must form
// valid UTF-8 as unicode/utf8.Valid defines it (no overlong forms, no
// encoded surrogates, nothing above U+10FFFF), so a nil result implies
// utf8.Valid(b) and callers need not check it separately. An invalid
// sequence is reported with the reason "invalid UTF-8 in string" at the
// offset of its first byte; a sequence cut short by the end of the
// input is reported as the end of the input, like any other truncation.
//
// Validate does not recurse and does not allocate unless it returns an
// error: its nesting stack is a fixed-size bit set on the goroutine
// stack, so hostile nesting cannot exhaust memory or the stack.
func Validate(b []byte) error {
	// Validate is a state machine written as one function with gotos
	// between the states, so that the common cases (short strings,
	// single spaces, small numbers) run without calls. Whitespace is
	// skipped where a state finds a byte it does not expect, except for
	// the single space Python's json.dumps writes after ',' and ':',
	// which is taken on the way.
	var (
		// Bit d of stack is set when nesting level d (0 for the
		// outermost container) is an object and clear when it is an
		// array.
		stack [stackWords]uint64
		depth int
		// closer is the byte that closes the innermost open container,
		// '}' or ']'; it is meaningful while depth > 0.
		closer byte
		c      byte
		err    error
		//index: nodes      []IndexNode
		//index: open       []uint32 // the open containers' nodes
		//index: pending    = -1 // a scalar node whose end is not yet known
		//index: key, keyLen uint32
		//index: keyEsc     uint32
		//index: top        int
	)
	//index: nodes, open = s.Nodes[:0], s.open[:0]
	i := skipSpace(b, 0)
	if i < len(b) && (b[i] == '{' || b[i] == '[') {
		goto value
	}
	// A scalar at the top level.
	//index: top = i
	if i, err = scanScalar(b, i); err != nil {
		return err
	}
	//index: nodes = append(nodes, IndexNode{Off: uint32(top), End: uint32(i), Next: 1})
	goto done

value: // A value must start at b[i], inside a container unless it is the
	// top-level one.
	if i >= len(b) {
		return syntaxErr(i, reasonEOF)
	}
	c = b[i]
	//index: if !isSpace[c] {
	//index: 	nodes = append(nodes, IndexNode{Off: uint32(i), Key: key, KeyLen: keyLen})
	//index: 	key, keyLen = 0, 0
	//index: 	if c != '{' && c != '[' {
	//index: 		pending = len(nodes) - 1
	//index: 	}
	//index: }
	if c == '"' {
		// The first word is loaded relative to i, the opening quote,
		// so that no addition delays the load: the chain from one
		// string's end to the next string's first load is what limits
		// the speed on typical input.
		if len(b)-i <= 8 {
			i++
		} else if x := binary.LittleEndian.Uint64(b[i+1 : i+9]); specialMask(x) != 0 {
			// The first byte that is not plain is x's byte k. r holds
			// it and the bytes after it, zeros where x ends, which
			// match none of the patterns below; checking them from r
			// saves loading them again.
			t := bits.TrailingZeros64(specialMask(x))
			k := t >> 3
			r := x >> (t &^ 7)
			if uint32(r)&0xffffff == '"'|','<<8|' '<<16 {
				i += k + 4
				goto next
			}
			if byte(r) == '"' {
				i += k + 2
				goto end
			}
			i += k + 1
		} else if j, r, ok := plainRun(b, i+9); !ok {
			i = j // a string of eight or more plain bytes, then the last few
		} else {
			i = j
			if uint32(r)&0xffffff == '"'|','<<8|' '<<16 {
				i += 3
				goto next
			}
			if byte(r) == '"' {
				i++
				goto end
			}
		}
		// Escapes, UTF-8, errors, and the last bytes of the input.
		if i, err = scanStringSlow(b, i); err != nil {
			return err
		}
		goto end
	}
	if c-'0' < 10 {
		// Unsigned integers are common; anything else goes to
		// scanNumber.
		start := i
		i++
		if c != '0' {
			for i < len(b) && b[i]-'0' < 10 {
				i++
			}
		}
		if i < len(b) && (b[i] == '.' || b[i]|0x20 == 'e') {
			if i, err = scanNumber(b, start); err != nil {
				return err
			}
		}
		goto end
	}
	if c == '{' || c == '[' {
		if depth >= MaxDepth {
			return syntaxErr(i, reasonDepth)
		}
		i++
		if i < len(b) && isSpace[b[i]] {
			i = skipSpace(b, i)
		}
		if i >= len(b) {
			return syntaxErr(i, reasonEOF)
		}
		w := &stack[uint(depth>>6)%stackWords]
		if c == '{' {
			if b[i] == '}' {
				i++
				goto empty
			}
			*w |= 1 << (depth & 63)
			//index: open = append(open, uint32(len(nodes)-1))
			depth++
			closer = '}'
			goto key
		}
		if b[i] == ']' {
			i++
			goto empty
		}
		*w &^= 1 << (depth & 63)
		//index: open = append(open, uint32(len(nodes)-1))
		depth++
		closer = ']'
		goto value
	}
	switch c {
	case 't':
		if len(b)-i >= 4 && binary.LittleEndian.Uint32(b[i:]) == lit4("true") {
			i += 4
			goto end
		}
		if i, err = scanLiteral(b, i, "true"); err != nil {
			return err
		}
		goto end
	case 'f':
		if len(b)-i >= 5 && binary.LittleEndian.Uint32(b[i+1:]) == lit4("alse") {
			i += 5
			goto end
		}
		if i, err = scanLiteral(b, i, "false"); err != nil {
			return err
		}
		goto end
	case 'n':
		if len(b)-i >= 4 && binary.LittleEndian.Uint32(b[i:]) == lit4("null") {
			i += 4
			goto end
		}
		if i, err = scanLiteral(b, i, "null"); err != nil {
			return err
		}
		goto end
	case '-':
		if i, err = scanNumber(b, i); err != nil {
			return err
		}
		goto end
	case ' ', '\t', '\n', '\r':
		i = skipSpace(b, i)
		goto value
	}
	return invalidChar(i, c, "looking for beginning of value")

empty: // An empty object or array ends just before b[i].
	//index: nodes[len(nodes)-1].End, nodes[len(nodes)-1].Next = uint32(i), uint32(len(nodes))
	if depth == 0 {
		goto done
	}

end: // A complete value inside a container ends just before b[i].
	//index: if pending >= 0 {
	//index: 	nodes[pending].End, nodes[pending].Next = uint32(i), uint32(pending+1)
	//index: 	pending = -1
	//index: }
	if i >= len(b) {
		return syntaxErr(i, reasonEOF)
	}
	c = b[i]
	if c == ',' {
		if i+1 < len(b) && b[i+1] == ' ' {
			i += 2
		} else {
			i++
		}
		goto next
	}
	if c == closer {
		i++
		//index: o := open[len(open)-1]
		//index: open = open[:len(open)-1]
		//index: nodes[o].End, nodes[o].Next = uint32(i), uint32(len(nodes))
		depth--
		if depth == 0 {
			goto done
		}
		d := depth - 1
		closer = ']' | byte(stack[uint(d>>6)%stackWords]>>(d&63)&1)<<5 // '}' == ']'|0x20
		goto end
	}
	if isSpace[c] {
		i = skipSpace(b, i)
		goto end
	}
	if closer == '}' {
		return invalidChar(i, c, "after object member, want ',' or '}'")
	}
	return invalidChar(i, c, "after array element, want ',' or ']'")

next: // After a comma: the next member or element starts at b[i].
	//index: if pending >= 0 { // a string then ", ": the quote is at i-3
	//index: 	nodes[pending].End, nodes[pending].Next = uint32(i-2), uint32(pending+1)
	//index: 	pending = -1
	//index: }
	if closer != '}' {
		goto value
	}

key: // An object key must start at b[i].
	if i >= len(b) {
		return syntaxErr(i, reasonEOF)
	}
	if b[i] != '"' {
		if isSpace[b[i]] {
			i = skipSpace(b, i)
			goto key
		}
		return invalidChar(i, b[i], "looking for beginning of object key string")
	}
	//index: key, keyEsc = uint32(i+1), 0
	// As for string values above, with the colon after the key.
	if len(b)-i <= 8 {
		i++
	} else if x := binary.LittleEndian.Uint64(b[i+1 : i+9]); specialMask(x) != 0 {
		t := bits.TrailingZeros64(specialMask(x))
		k := t >> 3
		r := x >> (t &^ 7)
		if uint32(r)&0xffffff == '"'|':'<<8|' '<<16 {
			i += k + 4
			//index: keyLen = uint32(i-3) - key
			goto value
		}
		if uint16(r) == '"'|':'<<8 {
			i += k + 3
			//index: keyLen = uint32(i-2) - key
			goto value
		}
		if byte(r) == '"' {
			i += k + 2
			goto colon
		}
		i += k + 1
	} else if j, r, ok := plainRun(b, i+9); !ok {
		i = j
	} else {
		i = j
		if uint32(r)&0xffffff == '"'|':'<<8|' '<<16 {
			i += 3
			//index: keyLen = uint32(i-3) - key
			goto value
		}
		if byte(r) == '"' {
			i++
			goto colon
		}
	}
	if i, err = scanStringSlow(b, i); err != nil {
		return err
	}
	//index: keyEsc = IndexKeyEscaped // perhaps: the slow scan takes escapes and more

colon: // The colon after a key must follow at b[i], after whitespace.
	//index: keyLen = uint32(i-1) - key | keyEsc
	i = skipSpace(b, i)
	if i >= len(b) {
		return syntaxErr(i, reasonEOF)
	}
	if b[i] != ':' {
		return invalidChar(i, b[i], "after object key, want ':'")
	}
	i++
	goto value

done: // The top-level value ends just before b[i].
	if i = skipSpace(b, i); i != len(b) {
		return syntaxErr(i, reasonTrailing)
	}
	//index: s.Nodes, s.open = nodes, open
	return nil
}

// scanScalar scans a value that is not an object or array, starting at
// b[i], and returns the offset after it.
func scanScalar(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, syntaxErr(i, reasonEOF)
	}
	switch b[i] {
	case '"':
		return scanStringSlow(b, i+1)
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	}
	return scanNumber(b, i)
}

// lit4 returns the first four bytes of s as a little-endian word.
func lit4(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// stackWords is the number of words in Validate's nesting bit set.
const stackWords = (MaxDepth + 63) / 64

// scanStringSlow finishes scanning a string from offset j, which is
// inside the string (after its opening quote), and returns the offset
// just past its closing quote.
func scanStringSlow(b []byte, j int) (int, error) {
	var (
		c   byte
		err error
	)
	for {
		if j = nextSpecial(b, j); j >= len(b) {
			return j, syntaxErr(j, reasonEOF)
		}
		c = b[j]
		switch {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			switch {
			case len(b)-j >= 6 && b[j+1] == 'u' &&
				hexVal[b[j+2]]|hexVal[b[j+3]]|hexVal[b[j+4]]|hexVal[b[j+5]] < 0x10:
				j += 6
			case len(b)-j >= 2 && isEscape[b[j+1]]:
				j += 2
			default:
				if j, err = scanEscape(b, j); err != nil {
					return j, err
				}
			}
		case c >= 0x80:
			// Two-byte sequences (Latin, Greek, Cyrillic, ...) are
			// checked here; the rest in scanUTF8.
			if c >= 0xc2 && c < 0xe0 && len(b)-j >= 2 && b[j+1]&0xc0 == 0x80 {
				j += 2
			} else if j, err = scanUTF8(b, j); err != nil {
				return j, err
			}
		default: // A control character below 0x20.
			return j, syntaxErr(j, reasonControl)
		}
	}
}

// plainRun scans a string's bytes from b[j] on, eight at a time, for the
// first that is not plain ('"', '\\', below 0x20 or >= 0x80). It returns
// that byte's offset and r, the loaded word from that byte on (zeros past
// its end), for the caller to match the string's usual endings without a
// new load. ok is false when fewer than eight bytes were left: the slow
// scan goes on from the offset returned. The string's first word is
// checked inline by the callers, where each has its own endings.
// (nextSpecial, for the merge, returns the offset alone: returning the
// word too made the merge's key scan measurably slower.)
func plainRun(b []byte, j int) (int, uint64, bool) {
	for ; len(b)-j >= 8; j += 8 {
		x := binary.LittleEndian.Uint64(b[j:])
		if m := specialMask(x); m != 0 {
			t := bits.TrailingZeros64(m) &^ 7
			return j + t>>3, x >> t, true
		}
	}
	return j, 0, false
}

// nextSpecial returns the offset of the first byte at or after j that is
// not plain inside a string ('"', '\\', below 0x20 or >= 0x80), or len(b),
// looking at eight bytes at a time while there are eight left.
func nextSpecial(b []byte, j int) int {
	for ; len(b)-j >= 8; j += 8 {
		if m := specialMask(binary.LittleEndian.Uint64(b[j : j+8])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for j < len(b) && strPlain[b[j]] {
		j++
	}
	return j
}

// scanEscape scans the escape sequence whose backslash is b[j] and
// returns the offset after it.
func scanEscape(b []byte, j int) (int, error) {
	j++
	if j >= len(b) {
		return j, syntaxErr(j, reasonEOF)
	}
	if isEscape[b[j]] {
		return j + 1, nil
	}
	if b[j] != 'u' {
		return j, syntaxErr(j, reasonEscape)
	}
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
	return j, nil
}

// scanUTF8 checks the UTF-8 sequence that starts with the byte
// b[j] >= 0x80 and returns the offset after it.
func scanUTF8(b []byte, j int) (int, error) {
	c := b[j]
	n := 0
	lo, hi := byte(0x80), byte(0xbf) // range of the second byte
	switch {
	case c < 0xc2: // A continuation byte or an overlong 2-byte form.
		return j, syntaxErr(j, reasonUTF8)
	case c < 0xe0:
		n = 2
	case c < 0xf0:
		n = 3
		if c == 0xe0 {
			lo = 0xa0 // Not overlong.
		} else if c == 0xed {
			hi = 0x9f // Not a surrogate.
		}
	case c < 0xf5:
		n = 4
		if c == 0xf0 {
			lo = 0x90 // Not overlong.
		} else if c == 0xf4 {
			hi = 0x8f // Not above U+10FFFF.
		}
	default:
		return j, syntaxErr(j, reasonUTF8)
	}
	for k := 1; k < n; k++ {
		if j+k >= len(b) {
			return len(b), syntaxErr(len(b), reasonEOF)
		}
		if d := b[j+k]; d < lo || d > hi {
			return j, syntaxErr(j, reasonUTF8)
		}
		lo, hi = 0x80, 0xbf
	}
	return j + n, nil
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask returns x, eight bytes of a string in little-endian
// order, with the high bit of each byte that is not plain ('"', '\\',
// below 0x20 or >= 0x80) set and all other bits clear. Bytes above the
// lowest such byte may be flagged even if they are plain (a borrow can
// run upwards from a flagged byte), but the lowest flagged byte is
// always exactly the first byte that is not plain, and m == 0 exactly
// when all eight are plain.
func specialMask(x uint64) uint64 {
	// Grouped for a short dependency chain; this is on the critical
	// path from one string to the next.
	return (((x - lsb*0x20) | x) | (((x ^ lsb*'"') - lsb) | ((x ^ lsb*'\\') - lsb))) & msb
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
