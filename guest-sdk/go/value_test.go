package wasmhook_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// The data members of examples/testdata/events, with their traps.
const (
	dataUpdated    = `{"id": 4, "url": "/api/dcim/sites/4/", "display": "Z\u00fcrich <1>", "name": "Z\u00fcrich <1>", "slug": "zurich-1", "status": {"value": "active", "label": "Active"}, "region": null, "latitude": 47.3769}`
	dataCreated    = `{"id": 7, "name": "Berlin DC 1", "slug": "berlin-dc-1", "status": {"value": "planned", "label": "Planned"}, "tags": [{"name": "x", "status": {"value": "wrong"}}], "custom_fields": {"name": "not this one"}}`
	dataDeleted    = `{"id": 9, "name": "Tōkyō 東京 🗼", "status": {"label": "Retired", "value": "retired"}}`
	dataEscaped    = `{"status": {"value": "act\"ive\\"}, "name": "\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t"}`
	dataMissing    = `{"id": 12, "slug": "no-name", "status": "active"}`
	dataJobFailed  = `{"name": "", "status": {"value": "failed", "label": "Failed"}, "error": "Traceback ..."}`
	dataWhitespace = "{  \"name\"  :   \"Ünïcödé  spaces\" ,\n   \"status\" : { \"label\" : \"Active\" , \"value\" :  \"active\"  } } "
	dataNestedOnly = `{"tags": [{"name": "x"}], "custom_fields": {"name": "n", "status": {"value": "v"}}, "x": {"name": "y"}}`
)

func TestGet(t *testing.T) {
	tests := []struct {
		doc  string
		path []string
		raw  string // "" for missing
	}{
		{dataUpdated, []string{"status", "value"}, `"active"`},
		{dataUpdated, []string{"name"}, `"Z\u00fcrich <1>"`},
		{dataUpdated, []string{"region"}, `null`},
		{dataUpdated, []string{"latitude"}, `47.3769`},
		{dataUpdated, []string{"id"}, `4`},
		{dataUpdated, []string{"status"}, `{"value": "active", "label": "Active"}`},
		{dataUpdated, []string{"region", "name"}, ``},
		{dataUpdated, nil, dataUpdated},
		{dataCreated, []string{"status", "value"}, `"planned"`},
		{dataCreated, []string{"name"}, `"Berlin DC 1"`},
		{dataCreated, []string{"tags"}, `[{"name": "x", "status": {"value": "wrong"}}]`},
		{dataDeleted, []string{"status", "value"}, `"retired"`},
		{dataDeleted, []string{"name"}, `"Tōkyō 東京 🗼"`},
		{dataEscaped, []string{"status", "value"}, `"act\"ive\\"`},
		{dataEscaped, []string{"name"}, `"\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t"`},
		{dataMissing, []string{"status", "value"}, ``},
		{dataMissing, []string{"status"}, `"active"`},
		{dataMissing, []string{"name"}, ``},
		{dataJobFailed, []string{"name"}, `""`},
		{dataWhitespace, []string{"name"}, `"Ünïcödé  spaces"`},
		{dataWhitespace, []string{"status", "value"}, `"active"`},
		{dataWhitespace, []string{"status"}, `{ "label" : "Active" , "value" :  "active"  }`},
		// Only top-level members count, at every step.
		{dataNestedOnly, []string{"name"}, ``},
		{dataNestedOnly, []string{"status"}, ``},
		{dataNestedOnly, []string{"value"}, ``},
		{dataNestedOnly, []string{"x", "name"}, `"y"`},
		// Keys are compared decoded.
		{`{"n\u0061me":1}`, []string{"name"}, `1`},
		{`{"\ud83d\ude00":1}`, []string{"😀"}, `1`},
		{`{"a\"b":1}`, []string{`a"b`}, `1`},
		{`{"a\\b":1}`, []string{`a\b`}, `1`},
		{`{"a\\":1,"b":2}`, []string{`b`}, `2`},
		{`{"na":1}`, []string{"name"}, ``},
		{`{"name2":1}`, []string{"name"}, ``},
		// A key's escaped quote does not end it; a value's brackets in strings do not count.
		{`{"x":"}],{[","name":"n"}`, []string{"name"}, `"n"`},
		{`{"x":["]",{"}":"["}],"name":"n"}`, []string{"name"}, `"n"`},
		{`{"x":"\\","name":"n"}`, []string{"name"}, `"n"`},
		{`{"x":"\\\"name\":1","name":"n"}`, []string{"name"}, `"n"`},
		// The last of duplicate members, as field reads and NetBox see it.
		{`{"name":"a","name":"b"}`, []string{"name"}, `"b"`},
		{`{"name":"a","x":{"name":"c"},"name":"b","y":1}`, []string{"name"}, `"b"`},
		// Whitespace everywhere.
		{" \t\r\n{ \"a\" \n:\t[ 1 , 2 ] \r, \"b\" : true } ", []string{"b"}, `true`},
		{`{ }`, []string{"a"}, ``},
		{`{"a":-1.5e+3}`, []string{"a"}, `-1.5e+3`},
		{`{"a":false,"b":0}`, []string{"a"}, `false`},
		// Not objects.
		{`[{"name":"n"}]`, []string{"name"}, ``},
		{`"name"`, []string{"name"}, ``},
		{`null`, []string{"name"}, ``},
		{``, []string{"name"}, ``},
	}
	for _, tt := range tests {
		got := wasmhook.ParseValue([]byte(tt.doc)).Get(tt.path...)
		if string(got.Raw()) != tt.raw || got.Exists() != (tt.raw != "") {
			t.Errorf("%s.Get(%q) = %q (exists %v), want %q", tt.doc, tt.path, got.Raw(), got.Exists(), tt.raw)
		}
	}
}

func TestKind(t *testing.T) {
	tests := map[string]wasmhook.Kind{
		`"s"`: wasmhook.KindString, `{}`: wasmhook.KindObject, `[]`: wasmhook.KindArray,
		`true`: wasmhook.KindBool, `false`: wasmhook.KindBool, `null`: wasmhook.KindNull,
		`0`: wasmhook.KindNumber, `-1`: wasmhook.KindNumber, `1e3`: wasmhook.KindNumber,
		``: wasmhook.KindMissing, `  `: wasmhook.KindMissing, `}`: wasmhook.KindMissing,
		`x`: wasmhook.KindMissing,
		// The kind comes from the first byte; where the value ends is
		// looked for only when it is needed.
		`"open`: wasmhook.KindString, `[1,2`: wasmhook.KindArray,
	}
	for doc, want := range tests {
		v := wasmhook.ParseValue([]byte(doc))
		if got := v.Kind(); got != want {
			t.Errorf("Kind(%q) = %v, want %v", doc, got, want)
		}
		if v.Exists() != (want != wasmhook.KindMissing) {
			t.Errorf("Exists(%q) = %v", doc, v.Exists())
		}
	}
	for _, doc := range []string{`"open`, `[1,2`, `{"a":"}`, `x`, ``} {
		if raw := wasmhook.ParseValue([]byte(doc)).Raw(); raw != nil {
			t.Errorf("Raw(%q) = %q, want nil: the value does not end", doc, raw)
		}
	}
	if s := wasmhook.KindObject.String(); s != "object" {
		t.Errorf("KindObject.String() = %q", s)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		tok   string
		want  string
		runes int
		ok    bool
	}{
		{`"active"`, "active", 6, true},
		{`""`, "", 0, true},
		{`"Z\u00fcrich <1>"`, "Zürich <1>", 10, true},
		{`"Zürich <1>"`, "Zürich <1>", 10, true},
		{`"Tōkyō 東京 🗼"`, "Tōkyō 東京 🗼", 10, true},
		{`"\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t"`, "😀 café \"q\" \\ \n\t", 15, true},
		{`"act\"ive\\"`, `act"ive\`, 8, true},
		{`"\/\b\f\n\r\t"`, "/\b\f\n\r\t", 6, true},
		{`"\u00FC\u00fc"`, "üü", 2, true},
		{`"\uD83D\uDE00"`, "😀", 1, true},
		// Lone and reversed surrogates become U+FFFD, as in encoding/json.
		{`"\ud83d"`, "\ufffd", 1, true},
		{`"\ude00"`, "\ufffd", 1, true},
		{`"\ud83dx"`, "\ufffdx", 2, true},
		{`"\ud83d\u0041"`, "\ufffdA", 2, true},
		{`"\ude00\ud83d"`, "\ufffd\ufffd", 2, true},
		{`"\ud83d\ud83d\ude00"`, "\ufffd😀", 2, true},
		// Invalid UTF-8 bytes count as one U+FFFD each.
		{"\"a\xffb\"", "a\ufffdb", 3, true},
		{"\"\xe6\x9d\"", "\ufffd\ufffd", 2, true},
		// Invalid strings.
		{`"\x"`, "", 0, false},
		{`"\u12"`, "", 0, false},
		{`"\u12g4"`, "", 0, false},
		{"\"a\nb\"", "", 0, false},
		{"\"\x00\"", "", 0, false},
		{`"\\\"`, "", 0, false}, // no closing quote: missing
		// Not strings.
		{`12`, "", 0, false},
		{`null`, "", 0, false},
		{`{"a":"b"}`, "", 0, false},
		{``, "", 0, false},
	}
	for _, tt := range tests {
		v := wasmhook.ParseValue([]byte(tt.tok))
		got, ok := v.String()
		if got != tt.want || ok != tt.ok {
			t.Errorf("String(%s) = %q, %v; want %q, %v", tt.tok, got, ok, tt.want, tt.ok)
		}
		n, ok := v.RuneCount()
		if n != tt.runes || ok != tt.ok {
			t.Errorf("RuneCount(%s) = %d, %v; want %d, %v", tt.tok, n, ok, tt.runes, tt.ok)
		}
		b, ok := v.AppendString([]byte("x"))
		if want := "x" + tt.want; string(b) != want || ok != tt.ok {
			t.Errorf("AppendString(%s) = %q, %v; want %q, %v", tt.tok, b, ok, want, tt.ok)
		}
		if eq := v.Equals(tt.want); eq != tt.ok {
			t.Errorf("Equals(%s, %q) = %v, want %v", tt.tok, tt.want, eq, tt.ok)
		}
		if tt.ok && v.Equals(tt.want+"x") {
			t.Errorf("Equals(%s, %q) = true", tt.tok, tt.want+"x")
		}
	}
}

func TestNumbersAndLiterals(t *testing.T) {
	ints := map[string]bool{`0`: true, `-0`: true, `42`: true, `-9223372036854775808`: true, `9223372036854775807`: true,
		`9223372036854775808`: false, `-9223372036854775809`: false, `99999999999999999999999`: false,
		`1.0`: false, `1e2`: false, `01`: false, `+1`: false, `"1"`: false, `-`: false, `true`: false}
	for tok, ok := range ints {
		n, gotOK := wasmhook.ParseValue([]byte(tok)).Int()
		if gotOK != ok {
			t.Errorf("Int(%s) ok = %v, want %v", tok, gotOK, ok)
		}
		if ok {
			var want int64
			if err := json.Unmarshal([]byte(tok), &want); err != nil || n != want {
				t.Errorf("Int(%s) = %d, want %d (%v)", tok, n, want, err)
			}
		}
	}
	floats := map[string]bool{`47.3769`: true, `-1.5e+3`: true, `0.5E-2`: true, `1`: true,
		`.5`: false, `1.`: false, `1e`: false, `Inf`: false, `-Inf`: false, `0x1p3`: false, `1_0`: false, `1e999`: false}
	for tok, ok := range floats {
		f, gotOK := wasmhook.ParseValue([]byte(tok)).Float()
		if gotOK != ok {
			t.Errorf("Float(%s) ok = %v, want %v", tok, gotOK, ok)
		}
		if ok {
			var want float64
			if err := json.Unmarshal([]byte(tok), &want); err != nil || f != want {
				t.Errorf("Float(%s) = %v, want %v (%v)", tok, f, want, err)
			}
		}
	}
	for tok, want := range map[string][2]bool{`true`: {true, true}, `false`: {false, true}, `null`: {false, false}, `1`: {false, false}, `"true"`: {false, false}} {
		b, ok := wasmhook.ParseValue([]byte(tok)).Bool()
		if b != want[0] || ok != want[1] {
			t.Errorf("Bool(%s) = %v, %v; want %v", tok, b, ok, want)
		}
	}
	if !wasmhook.ParseValue([]byte(` null `)).IsNull() || wasmhook.ParseValue(nil).IsNull() {
		t.Error("IsNull")
	}
}

func TestEach(t *testing.T) {
	var got []string
	wasmhook.ParseValue([]byte(dataCreated)).Each(func(key, value wasmhook.Value) bool {
		k, _ := key.String()
		got = append(got, k+"="+string(value.Raw()))
		return true
	})
	want := []string{`id=7`, `name="Berlin DC 1"`, `slug="berlin-dc-1"`, `status={"value": "planned", "label": "Planned"}`,
		`tags=[{"name": "x", "status": {"value": "wrong"}}]`, `custom_fields={"name": "not this one"}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Each over an object:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	got = got[:0]
	wasmhook.ParseValue([]byte(`[ 1 , "two" ,{"3":[]}, [] ]`)).Each(func(key, value wasmhook.Value) bool {
		if key.Exists() {
			t.Errorf("array element with a key %q", key.Raw())
		}
		got = append(got, string(value.Raw()))
		return len(got) < 3
	})
	if want := `1|"two"|{"3":[]}`; strings.Join(got, "|") != want {
		t.Errorf("Each over an array stopped early: %q, want %q", strings.Join(got, "|"), want)
	}

	for _, doc := range []string{`[]`, `{}`, `"s"`, `1`, ``, `[1,`, `{"a"`, `{"a":}`, `{1:2}`} {
		n := 0
		wasmhook.ParseValue([]byte(doc)).Each(func(_, _ wasmhook.Value) bool { n++; return true })
		if n > 1 {
			t.Errorf("Each(%q) called fn %d times", doc, n)
		}
	}
}

// TestHostile feeds malformed and adversarial documents: nothing may panic,
// and the work must stay linear.
func TestHostile(t *testing.T) {
	docs := []string{
		`{`, `{"`, `{"a`, `{"a"`, `{"a":`, `{"a":"`, `{"a":"\`, `{"a":1`, `{"a":1,`, `{"a":1,"`,
		`{"a" 1}`, `{"a":1 "b":2}`, `{,}`, `{"a":1,,"b":2}`, `{"a":[}`, `{"a":{]}`, `{"a":]}`,
		`{"a":"\u`, `{"a":"\ud83d\u`, `{"a":"\ud83d\ud8`, `{"a":-}`, `{"a":tru}`, `{"a":nul`,
		"{\"a\":\"\x00\"}", "{\"\xff\":\"\xff\"}", `{"a":"x"}}}}`, `]]]]`, `}}}}`, `"\\\\\\\\\\`, `"\\\\\\\\\\"`,
	}
	for _, doc := range docs {
		v := wasmhook.ParseValue([]byte(doc))
		for _, path := range [][]string{{"a"}, {"a", "b"}, {"\xff"}, {""}} {
			g := v.Get(path...)
			g.String()
			g.RuneCount()
			g.Int()
			g.Float()
			g.Kind()
			g.Each(func(k, x wasmhook.Value) bool { k.String(); x.RuneCount(); return true })
		}
	}

	// Deep nesting: no recursion, no stack to overflow.
	deep := strings.Repeat("[", 1<<20)
	if raw := wasmhook.ParseValue([]byte(deep)).Raw(); raw != nil {
		t.Error("an unclosed array parsed")
	}
	deepObj := []byte(`{"x":` + strings.Repeat(`{"x":`, 1<<18) + `1` + strings.Repeat("}", 1<<18) + `,"name":"n"}`)
	if got := wasmhook.ParseValue(deepObj).Get("name"); string(got.Raw()) != `"n"` {
		t.Errorf("after deep nesting: %q", got.Raw())
	}

	// Many backslashes before many quotes: each backslash is counted once.
	var b bytes.Buffer
	b.WriteString(`{"x":"`)
	for range 1 << 16 {
		b.WriteString(`\\\\\"`)
	}
	b.WriteString(`","name":"n"}`)
	start := time.Now()
	if got := wasmhook.ParseValue(b.Bytes()).Get("name"); string(got.Raw()) != `"n"` {
		t.Errorf("after escapes: %q", got.Raw())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("scanning %d bytes of escapes took %v", b.Len(), d)
	}
}

// TestNoAllocs checks the fast path: looking up and reading members
// allocates nothing.
func TestNoAllocs(t *testing.T) {
	doc := []byte(dataEscaped)
	var buf []byte
	allocs := testing.AllocsPerRun(100, func() {
		data := wasmhook.ParseValue(doc)
		data.Get("status", "value").Raw()
		data.Get("name").RuneCount()
		data.Get("name").Equals("x")
		buf, _ = data.Get("name").AppendString(buf[:0])
		data.Get("missing").Exists()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per lookup, want 0", allocs)
	}
}
