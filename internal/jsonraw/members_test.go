package jsonraw

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type member struct {
	Key   string
	Value string
}

func collect(t *testing.T, obj string) ([]member, error) {
	t.Helper()
	var got []member
	err := Members([]byte(obj), func(k string, v []byte) error {
		got = append(got, member{strings.Clone(k), string(v)})
		return nil
	})
	return got, err
}

func TestMembers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []member
	}{
		{"empty", `{}`, nil},
		{"empty with space", " \n{ \t} \r\n", nil},
		{"simple", `{"a":1,"b":"x"}`, []member{{"a", "1"}, {"b", `"x"`}}},
		{"whitespace", " {\n  \"a\" :\t1 ,\r\n  \"b\"  :  [ 1 , 2 ]  \n} ", []member{{"a", "1"}, {"b", "[ 1 , 2 ]"}}},
		{"all value kinds", `{"n":null,"t":true,"f":false,"i":-12,"x":1.5e-7,"s":"s","a":[],"o":{}}`, []member{
			{"n", "null"}, {"t", "true"}, {"f", "false"}, {"i", "-12"}, {"x", "1.5e-7"},
			{"s", `"s"`}, {"a", "[]"}, {"o", "{}"},
		}},
		{"nested raw", `{"site":{"id":1,"tags":[{"name":"a}]"},"\"]}"],"n":{ "x" : [ ] }},"z":0}`, []member{
			{"site", `{"id":1,"tags":[{"name":"a}]"},"\"]}"],"n":{ "x" : [ ] }}`},
			{"z", "0"},
		}},
		{"string with escapes raw", `{"s":"a\"b\\","t":"\\"}`, []member{{"s", `"a\"b\\"`}, {"t", `"\\"`}}},
		{"escaped keys", `{"\u00fc":1,"\ud83d\ude00":2,"\n":3,"a\/b":4,"\"":5,"\\":6}`, []member{
			{"ü", "1"}, {"😀", "2"}, {"\n", "3"}, {"a/b", "4"}, {`"`, "5"}, {`\`, "6"},
		}},
		{"invalid surrogates", `{"\ud800":1,"\udc00":2,"\ud800\u0041":3,"\ud83d\ud83d\ude00":4,"\ude00\ud83d":5}`, []member{
			{"\ufffd", "1"}, {"\ufffd", "2"}, {"\ufffdA", "3"}, {"\ufffd😀", "4"}, {"\ufffd\ufffd", "5"},
		}},
		{"raw UTF-8 key", `{"Zürich":1}`, []member{{"Zürich", "1"}}},
		{"invalid UTF-8 key", "{\"a\xffb\":1}", []member{{"a\ufffdb", "1"}}},
		{"empty key", `{"":""}`, []member{{"", `""`}}},
		{"duplicates", `{"a":1,"a":2}`, []member{{"a", "1"}, {"a", "2"}}},
		{"long escaped key", `{"` + strings.Repeat(`\u00e9`, 100) + `":1}`, []member{{strings.Repeat("é", 100), "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if utf8.ValidString(tt.in) { // Validate refuses invalid UTF-8; Members copes with it
				require.NoError(t, Validate([]byte(tt.in)))
			}
			got, err := collect(t, tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMembersKeysMatchEncodingJSON(t *testing.T) {
	keys := []string{
		`\u00fc`, `\ud83d\ude00`, `\n`, `\ud800`, `\udc00`, `\ud800\u0041`,
		`\ud83d\ud83d\ude00`, `\ud800\udbff\udfff`, "\xff", "\xed\xa0\x80",
		"\xf0\x9f\x98", `\u0000`, `\/`, `\b\f\r\t`, `\uFFFF\uFFFE`, `\uD834\uDD1E`,
	}
	for _, k := range keys {
		var want string
		require.NoError(t, json.Unmarshal([]byte(`"`+k+`"`), &want), k)
		got, err := collect(t, `{"`+k+`":0}`)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, want, got[0].Key, "key %q", k)
	}
}

func TestMembersNotObject(t *testing.T) {
	for _, in := range []string{``, `  `, `[]`, `1`, `"{}"`, `null`, `[{"a":1}]`, `x{}`} {
		called := false
		err := Members([]byte(in), func(string, []byte) error {
			called = true
			return nil
		})
		var se *SyntaxError
		assert.True(t, errors.As(err, &se), "input %q: err %v", in, err)
		assert.False(t, called, "input %q", in)
	}
}

func TestMembersMalformed(t *testing.T) {
	// Members assumes valid input but must report what it notices and
	// never panic.
	for _, in := range []string{
		`{`, `{"a`, `{"a"`, `{"a":`, `{"a":1`, `{"a":[1,2`, `{"a":"\"`, `{"a":1,`,
		`{"a":1 "b":2}`, `{} x`, `{"a":1}}`, `{1:2}`, `{"a" 1}`, `{"a":}`, `{"a":"\`,
		`{"\`, `{"\u`, `{"a":{"b":"}"`,
	} {
		assert.NotPanics(t, func() {
			_, err := collect(t, in)
			assert.Error(t, err, "input %q", in)
		}, "input %q", in)
	}
}

func TestMembersStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var keys []string
	err := Members([]byte(`{"a":1,"b":2,"c":3}`), func(k string, _ []byte) error {
		keys = append(keys, k)
		if k == "b" {
			return stop
		}
		return nil
	})
	assert.Same(t, stop, err)
	assert.Equal(t, []string{"a", "b"}, keys)
}

func TestMembersValueCapacity(t *testing.T) {
	obj := []byte(`{"a":1,"b":2}`)
	require.NoError(t, Members(obj, func(_ string, v []byte) error {
		_ = append(v, 'X', 'X', 'X')
		return nil
	}))
	assert.Equal(t, `{"a":1,"b":2}`, string(obj))
}

func TestMembersDoesNotAllocate(t *testing.T) {
	obj := []byte(siteJSON)
	n := 0
	fn := func(string, []byte) error { n++; return nil }
	allocs := testing.AllocsPerRun(100, func() {
		if err := Members(obj, fn); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Positive(t, n)
}

func TestMembersManyMembers(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range 10000 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	sb.WriteString("}")
	got, err := collect(t, sb.String())
	require.NoError(t, err)
	require.Len(t, got, 10000)
	assert.Equal(t, member{"k9999", "9999"}, got[9999])
}
