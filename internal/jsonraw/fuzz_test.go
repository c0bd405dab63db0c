package jsonraw

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fuzzSeeds = []string{
	``, ` `, `0`, `-0`, `01`, `1.`, `.5`, `1e`, `1e+5`, `-12.5E-3`, `true`, `nul`,
	`""`, `"\u12"`, `"\ud83d\ude00"`, `"\ud800"`, "\"\x01\"", "\"\xff\"", `[]`, `[1,]`,
	`{}`, `{} x`, `1 2`, `{"a":1,"b":[true,{"c":null}],"a":"x"}`, `{"\u00fc":{"\n":[]}}`,
	nestArrays(MaxDepth), nestArrays(MaxDepth + 1), `1e-400`, `2.48e-324`,
	"\"\xc3\xbc\xe2\x80\x93\xf0\x9f\x98\x80\"", "\"\xc3", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
	"{\"abcdefghij\": \"klmnopqrstuvwxyz\xc3\xbc\", \"k\":[1, 2]}", "[\"\x80\"]",
}

// naiveDepth returns the maximum nesting of brackets outside strings.
func naiveDepth(b []byte) int {
	depth, maxDepth := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return maxDepth
}

// refClassify classifies a valid JSON text by decoding it and applying
// Python's truthiness rules.
func refClassify(t *testing.T, b []byte) Class {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	switch v := v.(type) {
	case nil:
		return Falsy
	case bool:
		if v {
			return Truthy
		}
		return Falsy
	case string:
		if v == "" {
			return Falsy
		}
	case []any:
		if len(v) == 0 {
			return Falsy
		}
	case map[string]any:
		if len(v) == 0 {
			return Falsy
		}
		return Object
	case json.Number:
		s := string(v)
		if strings.ContainsAny(s, ".eE") {
			f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow
			if f == 0 {
				return Falsy
			}
		} else if strings.Trim(s, "-0") == "" {
			return Falsy
		}
	}
	return Truthy
}

// refMembers lists the members of a valid JSON object using
// encoding/json's tokenizer.
func refMembers(t *testing.T, b []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		var raw json.RawMessage
		require.NoError(t, dec.Decode(&raw))
		ms = append(ms, member{tok.(string), string(raw)})
	}
	tok, err = dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('}'), tok)
	_, err = dec.Token()
	require.ErrorIs(t, err, io.EOF)
	return ms
}

func isObject(b []byte) bool {
	i := skipSpace(b, 0)
	return i < len(b) && b[i] == '{'
}

// firstInvalidUTF8 returns the offset of the first byte of b at which
// b stops being valid UTF-8, or -1.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// requirePrefixesTruncated checks that the proper prefixes of the valid
// input b are valid or fail with reasonEOF at their end (all prefixes of
// short inputs, some of long ones).
func requirePrefixesTruncated(t *testing.T, b []byte) {
	step := max(1, len(b)/256)
	for n := len(b) - 1; n >= 0; n -= step {
		err := Validate(b[:n])
		if err == nil {
			continue
		}
		var se *SyntaxError
		require.True(t, errors.As(err, &se))
		require.Equal(t, SyntaxError{n, reasonEOF}, *se, "prefix %q", b[:n])
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b)
		// The functions that assume valid input must not panic either.
		cls := Classify(b)
		var ms []member
		merr := Members(b, func(k string, v []byte) error {
			ms = append(ms, member{k, string(v)})
			return nil
		})

		var se *SyntaxError
		if err != nil {
			require.True(t, errors.As(err, &se), "want *SyntaxError, got %T", err)
			require.True(t, se.Offset >= 0 && se.Offset <= len(b), "offset %d out of range", se.Offset)
			if se.Reason == reasonDepth {
				require.Greater(t, naiveDepth(b), MaxDepth)
				return
			}
		}
		// encoding/json accepts invalid UTF-8 inside strings; Validate
		// does not.
		require.Equal(t, json.Valid(b) && utf8.Valid(b), err == nil, "Validate: %v", err)
		if err != nil {
			// Invalid UTF-8 is reported at the first byte at which
			// utf8.Valid fails (everything before it was accepted), and
			// a sequence cut short by the end of the input as the end
			// of the input; other errors come no later than the first
			// invalid UTF-8.
			bad := firstInvalidUTF8(b)
			if se.Reason == reasonUTF8 {
				require.Equal(t, bad, se.Offset, "first invalid UTF-8")
				require.True(t, utf8.FullRune(b[bad:]), "a sequence cut short by the end of the input must be reported as %q", reasonEOF)
			} else if bad >= 0 && utf8.FullRune(b[bad:]) {
				require.LessOrEqual(t, se.Offset, bad, "%v before first invalid UTF-8", err)
			}
			return
		}
		requirePrefixesTruncated(t, b)
		require.LessOrEqual(t, naiveDepth(b), MaxDepth)
		require.Equal(t, refClassify(t, b), cls)
		if isObject(b) {
			require.NoError(t, merr)
			require.Equal(t, refMembers(t, b), ms)
		} else {
			require.Error(t, merr)
			require.Empty(t, ms)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{
		"", "abc", "Zürich <1>", "😀", "\x00\x1f\x7f", "\n\r\t\b\f", `"\/`, "\u2028\u2029",
		"\xff", "\xed\xa0\x80", "\xf0\x9f\x98", "\ufffd", "\U0010ffff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := string([]rune(s)) // invalid bytes become U+FFFD
		if utf8.ValidString(s) {
			require.Equal(t, s, want)
		}

		c := AppendString(nil, s)
		require.NoError(t, Validate(c))
		require.True(t, utf8.Valid(c))
		require.Equal(t, stdlibString(t, s), string(c))
		var got string
		require.NoError(t, json.Unmarshal(c, &got))
		require.Equal(t, want, got)

		a := AppendASCIIString(nil, s)
		require.NoError(t, Validate(a))
		for _, ch := range a {
			require.True(t, ch >= 0x20 && ch < 0x7f, "non-printable-ASCII byte %#x in %q", ch, a)
		}
		got = ""
		require.NoError(t, json.Unmarshal(a, &got))
		require.Equal(t, want, got)
	})
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":2}`), []byte(`{"b":3,"c":4}`))
	f.Add([]byte(`{"a":1,"b":2,"a":3}`), []byte(`{}`))
	f.Add([]byte(`{"\u00fc":[1,{"x":null}],"\ud800":"s"}`), []byte(`{"ü":true,"\ufffd":false}`))
	f.Add([]byte(` { "n" : 1E400 , "z" : -0.0 } `), []byte(`{"n":"x"}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, obj := range [][]byte{a, b} {
			if Validate(obj) != nil || !utf8.Valid(obj) || !isObject(obj) {
				t.Skip()
			}
		}
		var m Merge
		require.NoError(t, m.Add(a))
		require.NoError(t, m.Add(b))

		// Exact expectation from encoding/json's tokenizer and an
		// ordered dict.update model.
		var ref refMerge
		for _, obj := range [][]byte{a, b} {
			for _, mb := range refMembers(t, obj) {
				ref.set(mb.Key, mb.Value)
			}
		}
		require.Equal(t, len(ref.keys), m.Len())
		compact := m.AppendObject(nil, Compact)
		require.Equal(t, ref.compact(), string(compact))

		// Semantic expectation: decoding both objects into one map.
		want := map[string]any{}
		for _, obj := range [][]byte{a, b} {
			dec := json.NewDecoder(bytes.NewReader(obj))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&want))
		}
		for _, out := range [][]byte{compact, m.AppendObject(nil, Python)} {
			require.NoError(t, Validate(out))
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.UseNumber()
			got := map[string]any{}
			require.NoError(t, dec.Decode(&got))
			assert.Equal(t, want, got)
		}
	})
}
