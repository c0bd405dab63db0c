package jsonraw

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nestArrays(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

func nestObjects(n int) string {
	return strings.Repeat(`{"k":`, n) + "1" + strings.Repeat("}", n)
}

func TestValidateValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"zero", `0`},
		{"negative zero", `-0`},
		{"integer", `123`},
		{"negative integer", `-1`},
		{"fraction", `1.5`},
		{"zero fraction", `0.0`},
		{"exponent", `1e5`},
		{"exponent upper", `1E5`},
		{"exponent plus", `1e+5`},
		{"exponent minus", `1e-5`},
		{"zero exponent", `0e0`},
		{"full number", `-12.340E-0056`},
		{"huge integer", `123456789012345678901234567890123456789`},
		{"huge exponent", `1e999999999999999999999`},
		{"true", `true`},
		{"false", `false`},
		{"null", `null`},
		{"empty string", `""`},
		{"string", `"hello"`},
		{"short escapes", `"\"\\\/\b\f\n\r\t"`},
		{"unicode escape", `"\u00fc\u00FC"`},
		{"surrogate pair", `"\ud83d\ude00"`},
		{"lone high surrogate", `"\ud800"`},
		{"lone low surrogate", `"\udc00x"`},
		{"raw DEL", "\"\x7f\""},
		{"raw UTF-8", `"Zürich 😀"`},
		{"UTF-8 2-byte", "\"\xc2\x80 \xc3\xbc \xdf\xbf\""}, // U+0080 ü U+07FF
		{"UTF-8 3-byte", "\"\xe0\xa0\x80 \xe2\x80\x93 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\""}, // U+0800 – U+D7FF U+E000 U+FFFF
		{"UTF-8 4-byte", "\"\xf0\x90\x80\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\""},               // U+10000 😀 U+10FFFF
		{"UTF-8 key", `{"Zürich–😀": "Zürich–😀"}`},
		{"UTF-8 at the end of a long string", `"abcdefghijklmnopqrstuvwxyz ü"`},
		{"UTF-8 straddling eight-byte words", `["abcdefü", "abcdefg😀😀", "ab–cdefghijkl"]`},
		{"UTF-8 after escapes", `"\n\u00fcü\"😀"`},
		{"empty array", `[]`},
		{"empty array with space", "[ \t\r\n]"},
		{"array", `[1,"a",true,null,[],{}]`},
		{"empty object", `{}`},
		{"empty object with space", "{ \n }"},
		{"object", `{"a":1,"b":[2],"c":{"d":null}}`},
		{"empty key", `{"":0}`},
		{"duplicate keys", `{"a":1,"a":2}`},
		{"whitespace everywhere", " \t\r\n{ \"a\" : [ 1 , { } ] , \"b\" :\"c\" } \n"},
		{"nested arrays at MaxDepth", nestArrays(MaxDepth)},
		{"nested objects at MaxDepth", nestObjects(MaxDepth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, Validate([]byte(tt.in)))
			assert.True(t, json.Valid([]byte(tt.in)), "encoding/json disagrees")
			assert.True(t, utf8.ValidString(tt.in), "unicode/utf8 disagrees")
		})
	}
}

func TestValidateInvalid(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		reason string // substring of the reason
		depth  bool   // encoding/json has a deeper limit and may accept it
	}{
		{"empty", ``, 0, reasonEOF, false},
		{"whitespace only", " \t\r\n", 4, reasonEOF, false},
		{"leading zero", `01`, 1, reasonTrailing, false},
		{"leading zero in array", `[01]`, 2, "after array element", false},
		{"negative leading zero", `-01`, 2, reasonTrailing, false},
		{"minus only", `-`, 1, reasonEOF, false},
		{"minus letter", `-a`, 1, "in numeric literal", false},
		{"plus sign", `+1`, 0, "beginning of value", false},
		{"trailing dot", `1.`, 2, reasonEOF, false},
		{"trailing dot in array", `[1.]`, 3, "after decimal point", false},
		{"leading dot", `.5`, 0, "beginning of value", false},
		{"dot exponent", `1.e5`, 2, "after decimal point", false},
		{"empty exponent", `1e`, 2, reasonEOF, false},
		{"empty signed exponent", `1e+`, 3, reasonEOF, false},
		{"exponent letter", `1ex`, 2, "in exponent", false},
		{"hex", `0x10`, 1, reasonTrailing, false},
		{"NaN", `NaN`, 0, "beginning of value", false},
		{"Infinity", `Infinity`, 0, "beginning of value", false},
		{"minus Infinity", `-Infinity`, 1, "in numeric literal", false},
		{"short hex escape", `"\u12"`, 5, reasonHex, false},
		{"truncated hex escape", `"\u12`, 5, reasonEOF, false},
		{"bad hex escape", `"\u12g4"`, 5, reasonHex, false},
		{"bad escape", `"\a"`, 2, reasonEscape, false},
		{"single quote escape", `"\'"`, 2, reasonEscape, false},
		{"uppercase U escape", `"\U0041"`, 2, reasonEscape, false},
		{"truncated escape", `"\`, 2, reasonEOF, false},
		{"raw newline", "\"a\nb\"", 2, reasonControl, false},
		{"raw NUL", "\"\x00\"", 1, reasonControl, false},
		{"raw 0x1f", "\"\x1f\"", 1, reasonControl, false},
		{"raw tab", "\"\t\"", 1, reasonControl, false},
		{"unterminated string", `"abc`, 4, reasonEOF, false},
		{"single quotes", `'a'`, 0, "beginning of value", false},
		{"trailing garbage", `{} x`, 3, reasonTrailing, false},
		{"two values", `1 2`, 2, reasonTrailing, false},
		{"two objects", `{}{}`, 2, reasonTrailing, false},
		{"literal run-on", `nulll`, 4, reasonTrailing, false},
		{"two literals", `truefalse`, 4, reasonTrailing, false},
		{"extra close", `{"a":1}}`, 7, reasonTrailing, false},
		{"extra bracket", `[1]]`, 3, reasonTrailing, false},
		{"truncated true", `tru`, 3, reasonEOF, false},
		{"misspelled true", `trUe`, 2, "in literal true", false},
		{"truncated null", `nul`, 3, reasonEOF, false},
		{"truncated false", `fals`, 4, reasonEOF, false},
		{"unopened array", `]`, 0, "beginning of value", false},
		{"unopened object", `}`, 0, "beginning of value", false},
		{"array closed by brace", `[}`, 1, "beginning of value", false},
		{"array element closed by brace", `[1}`, 2, "after array element", false},
		{"object closed by bracket", `{]`, 1, "object key", false},
		{"member closed by bracket", `{"a":1]`, 6, "after object member", false},
		{"open array", `[`, 1, reasonEOF, false},
		{"open array after element", `[1,`, 3, reasonEOF, false},
		{"open object", `{`, 1, reasonEOF, false},
		{"open member", `{"a":`, 5, reasonEOF, false},
		{"key without colon at end", `{"a"`, 4, reasonEOF, false},
		{"trailing comma in array", `[1,]`, 3, "beginning of value", false},
		{"leading comma in array", `[,1]`, 1, "beginning of value", false},
		{"missing comma", `[1 2]`, 3, "after array element", false},
		{"trailing comma in object", `{"a":1,}`, 7, "object key", false},
		{"key without value", `{"a"}`, 4, "after object key", false},
		{"missing colon", `{"a" 1}`, 5, "after object key", false},
		{"number key", `{1:2}`, 1, "object key", false},
		{"single quoted key", `{'a':1}`, 1, "object key", false},
		{"bare key", `{a:1}`, 1, "object key", false},
		{"byte order mark", "\xef\xbb\xbfnull", 0, "beginning of value", false},
		{"comment", `/* */ 1`, 0, "beginning of value", false},
		{"NUL byte", "\x00", 0, "beginning of value", false},
		{"vertical tab space", "\v1", 0, "beginning of value", false},
		{"non-breaking space", "\u00a01", 0, "beginning of value", false},
		{"arrays one too deep", nestArrays(MaxDepth + 1), MaxDepth, reasonDepth, true},
		{"objects one too deep", nestObjects(MaxDepth + 1), MaxDepth * 5, reasonDepth, true},
		{"100000 arrays", nestArrays(100000), MaxDepth, reasonDepth, true},
		{"100000 open arrays", strings.Repeat("[", 100000), MaxDepth, reasonDepth, true},
		{"100000 objects", strings.Repeat(`{"":`, 100000), MaxDepth * 4, reasonDepth, true},

		// Invalid UTF-8 is reported at the first byte of the invalid
		// sequence, the first byte at which utf8.Valid fails.
		{"lone 0xff", "\"\xff\"", 1, reasonUTF8, false},
		{"0xfe after text", "\"ab\xfe\"", 3, reasonUTF8, false},
		{"stray continuation", "\"\x80\"", 1, reasonUTF8, false},
		{"stray continuation after text", "\"a\xbfb\"", 2, reasonUTF8, false},
		{"extra continuation", "\"\xc3\xbc\xbc\"", 3, reasonUTF8, false},
		{"2-byte truncated at end of string", "\"\xc3\"", 1, reasonUTF8, false},
		{"3-byte truncated at end of string", "\"\xe2\x80\"", 1, reasonUTF8, false},
		{"4-byte truncated at end of string", "\"\xf0\x9f\x98\"", 1, reasonUTF8, false},
		{"2-byte truncated before text", "\"\xc3a\"", 1, reasonUTF8, false},
		{"3-byte with ASCII second byte", "\"\xe2(\xa1\"", 1, reasonUTF8, false},
		{"3-byte with ASCII third byte", "\"\xe2\x82(\"", 1, reasonUTF8, false},
		{"4-byte with ASCII fourth byte", "\"\xf0\x9f\x98(\"", 1, reasonUTF8, false},
		{"2-byte truncated at end of input", "\"\xc3", 2, reasonEOF, false},
		{"3-byte truncated at end of input", "\"\xe2\x80", 3, reasonEOF, false},
		{"4-byte truncated at end of input", "\"\xf0\x9f\x98", 4, reasonEOF, false},
		{"invalid and truncated at end of input", "\"\xe0\x80", 1, reasonUTF8, false},
		{"overlong 2-byte C0 80", "\"\xc0\x80\"", 1, reasonUTF8, false},
		{"overlong 2-byte C1 BF", "\"\xc1\xbf\"", 1, reasonUTF8, false},
		{"overlong 3-byte E0 80 80", "\"\xe0\x80\x80\"", 1, reasonUTF8, false},
		{"overlong 3-byte E0 9F BF", "\"\xe0\x9f\xbf\"", 1, reasonUTF8, false},
		{"overlong 4-byte F0 8F BF BF", "\"\xf0\x8f\xbf\xbf\"", 1, reasonUTF8, false},
		{"encoded surrogate ED A0 80", "\"\xed\xa0\x80\"", 1, reasonUTF8, false},
		{"encoded surrogate ED BF BF", "\"\xed\xbf\xbf\"", 1, reasonUTF8, false},
		{"encoded surrogate pair", "\"\xed\xa0\xbd\xed\xb8\x80\"", 1, reasonUTF8, false},
		{"above U+10FFFF F4 90 80 80", "\"\xf4\x90\x80\x80\"", 1, reasonUTF8, false},
		{"above U+10FFFF F5", "\"\xf5\x80\x80\x80\"", 1, reasonUTF8, false},
		{"5-byte form", "\"\xf8\x88\x80\x80\x80\"", 1, reasonUTF8, false},
		{"invalid UTF-8 in key", "{\"k\xff\": 1}", 3, reasonUTF8, false},
		{"invalid UTF-8 in later key", "{\"a\": 1, \"abcdefghij\xed\xa0\x80\": 2}", 20, reasonUTF8, false},
		{"invalid UTF-8 after eight-byte words", "[\"abcdefghijklmnopq\xc0\x80\"]", 19, reasonUTF8, false},
		{"invalid UTF-8 after valid UTF-8", "\"ü😀\xf4\x90\x80\x80\"", 7, reasonUTF8, false},
		{"invalid UTF-8 after escape", "\"\\n\\u00fc\xff\"", 9, reasonUTF8, false},
		{"invalid UTF-8 before an error", "[\"\xff\", 01]", 2, reasonUTF8, false},
		{"UTF-8 outside a string", "\xc3\xbc", 0, "invalid character 0xc3 looking for beginning of value", false},
		{"UTF-8 as array element", "[1, \xc3\xbc]", 4, "invalid character 0xc3 looking for beginning of value", false},
		{"UTF-8 as key", "{\xc3\xbc: 1}", 1, "invalid character 0xc3 looking for beginning of object key string", false},
		{"UTF-8 after element", "[1\x80]", 2, "invalid character 0x80 after array element", false},
		{"UTF-8 after key", "{\"a\"\x80: 1}", 4, "invalid character 0x80 after object key", false},
		{"UTF-8 after value", "{\"a\": 1}\xc3\xbc", 8, reasonTrailing, false},
		{"invalid UTF-8 outside a string", "[\xff]", 1, "invalid character 0xff looking for beginning of value", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate([]byte(tt.in))
			require.Error(t, err)
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "want *SyntaxError, got %T", err)
			assert.Equal(t, tt.offset, se.Offset, "offset; reason %q", se.Reason)
			assert.Contains(t, se.Reason, tt.reason)
			if !tt.depth {
				// encoding/json accepts invalid UTF-8 in strings.
				b := []byte(tt.in)
				assert.False(t, json.Valid(b) && utf8.Valid(b), "encoding/json and unicode/utf8 disagree")
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	err := Validate([]byte(`{"name": "site-1", "slug":`))
	require.Error(t, err)
	assert.Equal(t, "offset 26: unexpected end of input", err.Error())

	err = Validate([]byte(`[1 2]`))
	assert.Equal(t, `offset 3: invalid character '2' after array element, want ',' or ']'`, err.Error())

	err = Validate([]byte("\x01"))
	assert.Equal(t, `offset 0: invalid character 0x01 looking for beginning of value`, err.Error())

	err = Validate([]byte("{\"name\": \"Z\xfcrich\"}"))
	assert.Equal(t, `offset 11: invalid UTF-8 in string`, err.Error())
}

func TestValidateDoesNotAllocate(t *testing.T) {
	inputs := []string{
		siteJSON,
		nestArrays(MaxDepth),
		nestObjects(MaxDepth),
		`"\ud83d\ude00 \n"`,
		`-12.5e+7`,
		rawUTF8(siteJSON),
		`"Zürich – 😀 abcdefghijklmnopqrstuvwxyz"`,
	}
	for _, in := range inputs {
		b := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			if Validate(b) != nil {
				panic("invalid")
			}
		})
		assert.Zero(t, allocs, "input %.40q", in)
	}
}

func TestValidateHugeInputs(t *testing.T) {
	// Long runs of things that are scanned in loops must not be
	// quadratic or recursive; this only checks they finish correctly.
	long := strings.Repeat("9", 1<<20)
	assert.NoError(t, Validate([]byte(long)))
	assert.NoError(t, Validate([]byte(`"`+strings.Repeat(`\\`, 1<<19)+`"`)))
	assert.NoError(t, Validate([]byte("["+strings.Repeat("[],", 1<<18)+"[]]")))
	assert.Error(t, Validate([]byte(`"`+strings.Repeat(`\\`, 1<<19))))
}

func TestSpecialMask(t *testing.T) {
	// The lowest flagged byte must be exactly the first byte that is
	// not plain, whatever follows it, and only plain words give 0.
	rng := rand.New(rand.NewPCG(1, 2))
	word := make([]byte, 8)
	for c := range 256 {
		for p := range 8 {
			for round := range 64 {
				for k := range word {
					switch {
					case k < p:
						word[k] = byte(0x20 + rng.IntN(0x60))
						for !strPlain[word[k]] {
							word[k] = byte(0x20 + rng.IntN(0x60))
						}
					case k == p:
						word[k] = byte(c)
					case round == 0:
						word[k] = 'a'
					default:
						word[k] = byte(rng.IntN(256))
					}
				}
				want := 8
				for k, ch := range word {
					if !strPlain[ch] {
						want = k
						break
					}
				}
				m := specialMask(binary.LittleEndian.Uint64(word))
				require.Zero(t, m&^msb, "%q", word)
				got := bits.TrailingZeros64(m) / 8
				require.Equal(t, want, got, "%q", word)
			}
		}
	}
}

func TestValidateStringsAtEveryAlignment(t *testing.T) {
	for n := range 20 {
		for _, c := range []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff} {
			s := []byte(`"` + strings.Repeat("a", n) + string(c) + strings.Repeat("b", 9) + `"`)
			assert.Equal(t, json.Valid(s) && utf8.Valid(s), Validate(s) == nil, "%q", s)
		}
	}
}

// utf8Seqs are valid and invalid UTF-8 sequences. Each invalid one is
// invalid from its first byte on.
var utf8Seqs = []string{
	"\xc2\x80", "\xc3\xbc", "\xdf\xbf", "\xe0\xa0\x80", "\xe2\x80\x93", "\xed\x9f\xbf", "\xee\x80\x80",
	"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf3\xbf\xbf\xbf", "\xf4\x8f\xbf\xbf",
	"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc3", "\xc3\xc3\xbc", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xe2\x80",
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf0\x9f\x98", "\xf4\x90\x80\x80",
	"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
}

// TestValidateUTF8AtEveryAlignment puts each sequence at every offset
// relative to the eight-byte words the string scanner reads, in keys
// and values, followed by more text, by the closing quote, and by the
// end of the input.
func TestValidateUTF8AtEveryAlignment(t *testing.T) {
	for _, seq := range utf8Seqs {
		valid := utf8.ValidString(seq)
		for n := range 20 {
			pre := strings.Repeat("a", n)
			for _, tc := range []struct{ before, after string }{
				{`"`, `bcdefghijk"`},
				{`"`, `"`},
				{`{"`, `": 1}`},
				{`{"`, `":1}`},
				{`{"x": "`, `", "y": 1}`},
				{`["`, `"]`},
				{`"`, ``},
			} {
				s := tc.before + pre + seq + tc.after
				err := Validate([]byte(s))
				switch {
				case valid && tc.after != "":
					assert.NoError(t, err, "%q", s)
				case valid:
					assertSyntaxError(t, err, len(s), reasonEOF, "%q", s)
				case tc.after == "" && !utf8.FullRune([]byte(seq)):
					// Cut short by the end of the input.
					assertSyntaxError(t, err, len(s), reasonEOF, "%q", s)
				default:
					assertSyntaxError(t, err, len(tc.before)+n, reasonUTF8, "%q", s)
				}
			}
		}
	}
}

// TestValidateUTF8Exhaustive checks every two-byte string content and,
// for three- and four-byte leads, every second byte against
// unicode/utf8.
func TestValidateUTF8Exhaustive(t *testing.T) {
	check := func(seq []byte) {
		t.Helper()
		for _, after := range []string{`"`, `"]`, ``} {
			s := append(append([]byte(`["`), seq...), after...)
			want := json.Valid(s) && utf8.Valid(s)
			err := Validate(s)
			require.Equal(t, want, err == nil, "%q: %v", s, err)
			if err != nil {
				var se *SyntaxError
				require.True(t, errors.As(err, &se))
				if se.Reason == reasonUTF8 {
					bad := 2
					for r, n := utf8.DecodeRune(s[bad:]); r != utf8.RuneError || n > 1; r, n = utf8.DecodeRune(s[bad:]) {
						bad += n
					}
					require.Equal(t, bad, se.Offset, "%q", s)
					require.True(t, utf8.FullRune(s[bad:]), "%q: truncated sequence not reported as EOF", s)
				}
			}
		}
	}
	for c0 := range 256 {
		for c1 := range 256 {
			check([]byte{byte(c0), byte(c1)})
		}
	}
	for c0 := 0xe0; c0 < 0x100; c0++ {
		for c1 := range 256 {
			for _, c2 := range []byte{0x7f, 0x80, 0xbf, 0xc0} {
				check([]byte{byte(c0), byte(c1), c2})
				check([]byte{byte(c0), byte(c1), c2, 0x80})
			}
		}
	}
}

// TestValidateTruncated checks that every proper prefix of valid input
// is either valid itself or fails with reasonEOF at its end, including
// prefixes that end inside a UTF-8 sequence.
func TestValidateTruncated(t *testing.T) {
	for _, doc := range []string{
		siteJSON,
		rawUTF8(siteJSON),
		`{"a":[1,-2.5e+3,true,false,null,"x\u00fc\"y",{}],"Zürich😀":{"":[]}}`,
		` ["abcdefghijklmnopqrstuvwxyz–ü😀", 0, 12, 1.5, 1E5] `,
	} {
		b := []byte(doc)
		require.NoError(t, Validate(b))
		for n := range len(b) {
			err := Validate(b[:n])
			if err == nil {
				continue
			}
			assertSyntaxError(t, err, n, reasonEOF, "prefix %q", b[:n])
		}
	}
}

func assertSyntaxError(t *testing.T, err error, offset int, reason string, msgAndArgs ...any) {
	t.Helper()
	var se *SyntaxError
	if !assert.True(t, errors.As(err, &se), msgAndArgs...) {
		return
	}
	assert.Equal(t, offset, se.Offset, msgAndArgs...)
	assert.Equal(t, reason, se.Reason, msgAndArgs...)
}
