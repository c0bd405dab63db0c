package wasmhook_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// FuzzGet checks the scanner against encoding/json. On any input nothing
// may panic. On a valid JSON object, every top-level member must be found
// by Get with the bytes encoding/json sees (the last of duplicates, as a
// map decodes them), and a
// string member must decode (String, AppendString, Equals, RuneCount) as
// encoding/json decodes it.
func FuzzGet(f *testing.F) {
	for _, s := range []string{dataUpdated, dataCreated, dataDeleted, dataEscaped, dataMissing, dataJobFailed, dataWhitespace, dataNestedOnly,
		`{"n\u0061me":"\ud83d","a":"\ude00\ud83d\ude00x","b":"\u00e9\/"}`, "{\"a\":\"\xff\xe6\x9d\",\"\xff\":1}", `{"a":1,"a":2}`, `"\ud83d\u0041"`, `[1,{"a":"]"}]`} {
		f.Add([]byte(s), "name")
	}
	if site, err := os.ReadFile("testdata/site.json"); err == nil {
		f.Add(site, "status")
	}
	f.Fuzz(func(t *testing.T, doc []byte, key string) {
		v := wasmhook.ParseValue(doc)
		probe(v.Get(key))
		v.Each(func(k, x wasmhook.Value) bool { probe(k); probe(x); return true })

		if !json.Valid(doc) {
			return
		}
		if v.Kind() == wasmhook.KindString {
			checkString(t, v, doc)
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return
		}
		last := map[string]json.RawMessage{} // Get finds the last of duplicates
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			last[tok.(string)] = raw
		}
		for name, raw := range last {
			got := v.Get(name)
			if !bytes.Equal(got.Raw(), raw) {
				t.Fatalf("Get(%q) = %q, encoding/json has %q", name, got.Raw(), raw)
			}
			if got.Kind() == wasmhook.KindString {
				checkString(t, got, raw)
			}
		}
	})
}

// checkString compares the decoding of a string value with encoding/json's.
func checkString(t *testing.T, v wasmhook.Value, raw []byte) {
	t.Helper()
	var want string
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	got, ok := v.String()
	if !ok || got != want {
		t.Fatalf("String(%s) = %q, %v; encoding/json has %q", raw, got, ok, want)
	}
	if b, ok := v.AppendString(nil); !ok || string(b) != want {
		t.Fatalf("AppendString(%s) = %q, %v; want %q", raw, b, ok, want)
	}
	if !v.Equals(want) {
		t.Fatalf("Equals(%s, %q) = false", raw, want)
	}
	if n, ok := v.RuneCount(); !ok || n != utf8.RuneCountInString(want) {
		t.Fatalf("RuneCount(%s) = %d, %v; want %d", raw, n, ok, utf8.RuneCountInString(want))
	}
}

// probe calls every reader: none may panic, whatever the bytes.
func probe(v wasmhook.Value) {
	v.Kind()
	v.String()
	v.AppendString(nil)
	v.Equals("name")
	v.RuneCount()
	v.Int()
	v.Float()
	v.Bool()
	v.Get("a", "b")
}

// FuzzString checks string decoding on arbitrary string contents, where
// random bytes hit escapes and surrogates more often than in whole
// documents.
func FuzzString(f *testing.F) {
	for _, s := range []string{`\ud83d\ude00 caf\u00e9 \"q\" \\ \n\t`, `act\"ive\\`, `\ud83d\ud83d\ude00`, `\ude00\u0041`, `\u00fc\/\b\f\r`, "Z\xffrich 東京", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		doc := append(append([]byte(`{"k":"`), content...), `"}`...)
		v := wasmhook.ParseValue(doc).Get("k")
		probe(v)
		if json.Valid(doc) {
			var want map[string]json.RawMessage
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.Raw(), want["k"]) {
				t.Fatalf("Get(k) = %q, encoding/json has %q", v.Raw(), want["k"])
			}
			checkString(t, v, want["k"])
		}
	})
}
