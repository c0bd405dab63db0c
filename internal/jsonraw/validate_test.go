package jsonraw

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

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
		{"invalid UTF-8 is not checked", "\"\xff\xfe\""},
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
				assert.False(t, json.Valid([]byte(tt.in)), "encoding/json disagrees")
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
}

func TestValidateDoesNotAllocate(t *testing.T) {
	inputs := []string{
		siteJSON,
		nestArrays(MaxDepth),
		nestObjects(MaxDepth),
		`"\ud83d\ude00 \n"`,
		`-12.5e+7`,
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

func TestHasSpecial(t *testing.T) {
	for c := range 256 {
		for p := range 8 {
			word := []byte("abcdefgh")
			word[p] = byte(c)
			x := uint64(0)
			for k := 7; k >= 0; k-- {
				x = x<<8 | uint64(word[k])
			}
			require.Equal(t, !strPlain[c], hasSpecial(x), "byte %#x at %d", c, p)
		}
	}
}

func TestValidateStringsAtEveryAlignment(t *testing.T) {
	for n := range 20 {
		for _, c := range []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff} {
			s := []byte(`"` + strings.Repeat("a", n) + string(c) + strings.Repeat("b", 9) + `"`)
			assert.Equal(t, json.Valid(s), Validate(s) == nil, "%q", s)
		}
	}
}
