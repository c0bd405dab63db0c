package wasmhook

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzRuneCountValid checks the count of a string the host validated
// (eight bytes at a time) against the general one, which decodes.
func FuzzRuneCountValid(f *testing.F) {
	for _, s := range []string{``, `a`, `Z\u00fcrich-Altstetten DC1`, `Zürich-Altstetten DC1 and more text`,
		`\ud83d\ude00`, `\ud83d\u0041`, `\ude00\ud83d\ude00x`, `\ud83d`, `\uD83D\uDE00 upper`, `12345678\n`,
		`1234567\"`, `😀😀😀😀😀 five`, `\\\\\\\\\\\\`, `\u00e9\/`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !utf8.Valid(b) || !json.Valid([]byte(`"`+s+`"`)) {
			return
		}
		want, ok := runeCount(b)
		if !ok {
			t.Fatalf("runeCount(%q) failed", s)
		}
		if got := runeCountValid(b); got != want {
			t.Fatalf("runeCountValid(%q) = %d, want %d", s, got, want)
		}
		var dec string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &dec); err != nil || utf8.RuneCountInString(dec) != want {
			t.Fatalf("%q: %d code points, encoding/json decodes %q (%v)", s, want, dec, err)
		}
	})
}
