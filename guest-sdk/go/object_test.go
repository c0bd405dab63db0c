package wasmhook_test

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"unicode/utf8"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

func TestObject(t *testing.T) {
	var o wasmhook.Object
	if got := string(o.Bytes()); got != `{}` {
		t.Errorf("zero Object = %s", got)
	}
	o.String("site_status", "active").Int("name_len", 10)
	if got, want := string(o.Bytes()), `{"site_status":"active","name_len":10}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}

	o.Reset()
	o.Nested("geo").Raw("site_status", []byte(`"act\"ive\\"`)).Int("name_len", -15)
	// Bytes closes what is open without changing o.
	if got, want := string(o.Bytes()), `{"geo":{"site_status":"act\"ive\\","name_len":-15}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	o.End().Bool("ok", true).Nested("n").Nested("m").End().Float("f", 1.5).End().
		Float("nan", math.NaN()).Float("big", 1e21).Raw("missing", nil).Nested("empty")
	want := `{"geo":{"site_status":"act\"ive\\","name_len":-15},"ok":true,"n":{"m":{},"f":1.5},"nan":null,"big":1e+21,"missing":null,"empty":{}}`
	if got := string(o.Bytes()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid(o.Bytes()) {
		t.Errorf("invalid JSON: %s", o.Bytes())
	}
	o.End().End().End() // extra Ends do nothing
	if got := string(o.Bytes()); got != want {
		t.Errorf("after extra End: %s", got)
	}

	o.Reset()
	o.Nested("")
	if got := string(o.Bytes()); got != `{"":{}}` {
		t.Errorf("empty namespace: %s", got)
	}
}

// TestObjectStrings checks the escaping rule of examples/README.md: `"` and
// `\` escaped by a backslash, control characters as \u00XX in lowercase
// hex, everything else raw UTF-8 (invalid bytes as \ufffd).
func TestObjectStrings(t *testing.T) {
	tests := map[string]string{
		"geo":                  `"geo"`,
		`a"b\c`:                `"a\"b\\c"`,
		"\x00\x01\t\n\r\x1f":   `"\u0000\u0001\u0009\u000a\u000d\u001f"`,
		"\x7f/<>&":             "\"\x7f/<>&\"",
		"Zürich 東京 🗼":          `"Zürich 東京 🗼"`,
		"\u2028\u2029":         "\"\u2028\u2029\"",
		"a\xffb\xe6\x9d":       `"a\ufffdb\ufffd\ufffd"`,
		"\ufffd":               "\"\ufffd\"",
		"":                     `""`,
		"plain ascii, longer.": `"plain ascii, longer."`,
	}
	for s, want := range tests {
		var o wasmhook.Object
		o.String(s, s)
		if got := string(o.Bytes()); got != "{"+want+":"+want+"}" {
			t.Errorf("String(%q) = %s, want {%s:%s}", s, got, want, want)
		}
		var back map[string]string
		if err := json.Unmarshal(o.Bytes(), &back); err != nil {
			t.Errorf("String(%q): %v", s, err)
		}
	}
}

func TestObjectNoAllocs(t *testing.T) {
	var o wasmhook.Object
	raw := []byte(`"active"`)
	allocs := testing.AllocsPerRun(100, func() {
		o.Reset()
		o.Nested("geo").Raw("site_status", raw).Int("name_len", 10).String("s", "Zürich \"1\"").Bool("b", true).Float("f", 0.25)
		o.Bytes()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per object, want 0", allocs)
	}
}

// FuzzObjectString checks that any Go string, valid UTF-8 or not, is
// written as a JSON string that decodes to it (invalid bytes as U+FFFD,
// one each, as encoding/json decodes them), as a first member and after
// another.
func FuzzObjectString(f *testing.F) {
	for _, s := range []string{"geo", "a\"b\\c\x00\x1f\x7f", "Zürich 東京 🗼", "a\xffb\xe6\x9d", "\u2028<>&", "\xed\xa0\x80",
		"name_le", "name_len", "name_len\"", "site_status", "1234567\x01", "12345678abcdefg\\", "12345678abcdefgh", "k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var o wasmhook.Object
		o.String(s, s)
		checkObjectString(t, &o, s, 1)
		o.Reset()
		o.String("k", "k").String(s, s)
		n := 2
		if s == "k" {
			n = 1
		}
		checkObjectString(t, &o, s, n)
	})
}

// checkObjectString checks that o holds n members, one of them s: s.
func checkObjectString(t *testing.T, o *wasmhook.Object, s string, n int) {
	var back map[string]string
	if err := json.Unmarshal(o.Bytes(), &back); err != nil {
		t.Fatalf("String(%q) wrote invalid JSON %s: %v", s, o.Bytes(), err)
	}
	var want []rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		want = append(want, r)
		i += n
	}
	if len(back) != n || back[string(want)] != string(want) {
		t.Fatalf("String(%q) wrote %s, decoding to %q", s, o.Bytes(), back)
	}
}

func TestObjectInt(t *testing.T) {
	for _, v := range []int64{0, 1, 9, 10, 42, 99, 100, 101, 12345, -1, -9, -10, -99, -100, math.MaxInt64, math.MinInt64} {
		var o wasmhook.Object
		o.Int("n", v)
		if got, want := string(o.Bytes()), `{"n":`+strconv.FormatInt(v, 10)+`}`; got != want {
			t.Errorf("Int(%d) wrote %s, want %s", v, got, want)
		}
	}
}
