package jsonraw

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// stdlibString is what encoding/json writes for s without HTML escaping.
func stdlibString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\x7f", "\"\x7f\""},
		{"<a href='/x?y&z'>", `"<a href='/x?y&z'>"`},
		{"Zürich <1>", `"Zürich <1>"`},
		{"😀", `"😀"`},
		{"\u2028x\u2029", `"\u2028x\u2029"`},
		{"\u2027\u202a", "\"\u2027\u202a\""},
		{"\xff", `"\ufffd"`},
		{"a\xffb\xfe", `"a\ufffdb\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`}, // UTF-8 encoded surrogate
		{"\xf0\x9f\x98", `"\ufffd\ufffd\ufffd"`}, // truncated sequence
		{"\ufffd", "\"\ufffd\""},                 // a real U+FFFD stays raw
		{"\U0010ffff", "\"\U0010ffff\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := AppendString([]byte("prefix"), tt.in)
			assert.Equal(t, "prefix"+tt.want, string(got))
			assert.Equal(t, stdlibString(t, tt.in), tt.want, "encoding/json disagrees")
		})
	}
}

func TestAppendASCIIString(t *testing.T) {
	// Expected values are Python's json.dumps(s) output.
	tests := []struct {
		in   string
		want string
	}{
		{"", `""`},
		{"abc", `"abc"`},
		{"Zürich <1>", `"Z\u00fcrich <1>"`},
		{"😀", `"\ud83d\ude00"`},
		{"\x7f", `"\u007f"`},
		{"/<>&'", `"/<>&'"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"\x00\x1f\b\f\n\r\t", `"\u0000\u001f\b\f\n\r\t"`},
		{"\uffff", `"\uffff"`},
		{"\U0010ffff", `"\udbff\udfff"`},
		{"é€", `"\u00e9\u20ac"`},
		{"\ufffd", `"\ufffd"`},
		{"\xff", `"\ufffd"`},
		{"a\xc3", `"a\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := AppendASCIIString([]byte("prefix"), tt.in)
			assert.Equal(t, "prefix"+tt.want, string(got))
		})
	}
}

func TestAppendStringsDoNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 1024)
	s := "Zürich <1> \"quoted\" \n 😀 \u2028 \xff"
	assert.Zero(t, testing.AllocsPerRun(100, func() { dst = AppendString(dst[:0], s) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { dst = AppendASCIIString(dst[:0], s) }))
}
