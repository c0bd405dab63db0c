package strictyaml

import (
	"strings"
	"testing"
	"time"
)

type inner struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

type limits struct {
	Timeout time.Duration `yaml:"timeout"`
	Pool    int           `yaml:"pool"`
}

type doc struct {
	Listen string           `yaml:"listen"`
	TLS    inner            `yaml:"tls"`
	Items  map[string]inner `yaml:"items"`
	limits `yaml:",inline"`
	List   []string `yaml:"list"`
	Hidden string   `yaml:"-"`
}

// TestDecode: nested structs, maps of structs and inline structs are all
// decoded key by key; every error names its key path and line.
func TestDecode(t *testing.T) {
	var d doc
	err := Decode([]byte("listen: ':8080'\ntls: {cert: c.pem, key: k.pem}\nitems:\n  a: {cert: x}\ntimeout: 2s\npool: 3\nlist: [p, q]\n"), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Listen != ":8080" || d.TLS.Key != "k.pem" || d.Items["a"].Cert != "x" || d.Timeout != 2*time.Second || d.Pool != 3 || len(d.List) != 2 {
		t.Fatalf("decoded %+v", d)
	}
	for src, want := range map[string]string{
		"tls: {cert: c, kye: k}": "tls.kye: unknown key (want cert, key) (line 1)",
		"items: {a: {cret: x}}":  "items.a.cret: unknown key (want cert, key) (line 1)",
		"timeout: soon":          "timeout: want a duration like 100ms (line 1)",
		"pool: -1":               "pool: want zero or more (line 1)",
		"list: x":                "list: want a list of module names (line 1)",
		"listen: a\nlisten: b\n": "listen: given twice (line 2)",
		"Hidden: x":              "Hidden: unknown key",
		"tls: [1]":               "tls: want a mapping (line 1)",
		"{":                      "yaml:",
	} {
		var d doc
		err := Decode([]byte(src), &d)
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
	if err := Decode([]byte("  \n"), &d); err != nil {
		t.Fatalf("an empty document: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestDecodeWith: assignments replace or add keys at any depth, over a
// document or none; their errors name the key and no line.
func TestDecodeWith(t *testing.T) {
	set := func(s ...string) []Assignment {
		var out []Assignment
		for _, a := range s {
			as, err := ParseAssignment(a)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, as)
		}
		return out
	}
	var d doc
	err := DecodeWith([]byte("listen: ':8080'\ntls: {cert: c.pem, key: k.pem}\nitems:\n  a: {cert: x}\n"),
		set("listen=127.0.0.1:9", "tls.key=other.pem", "items.b.cert=y", "items.a.key=z", "list=[p, q]", "pool=3", "pool=4"), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Listen != "127.0.0.1:9" || d.TLS != (inner{"c.pem", "other.pem"}) || d.Items["a"] != (inner{"x", "z"}) ||
		d.Items["b"] != (inner{Cert: "y"}) || len(d.List) != 2 || d.Pool != 4 {
		t.Fatalf("decoded %+v", d)
	}

	d = doc{}
	if err := DecodeWith(nil, set("tls.cert=", "timeout=2s"), &d); err != nil || d.TLS.Cert != "" || d.Timeout != 2*time.Second {
		t.Fatalf("no document: %+v, %v", d, err)
	}

	for _, tc := range []struct{ doc, set, want string }{
		{"", "tls.kye=k", "tls.kye: unknown key (want cert, key)"},
		{"", "pool=many", "pool: want a whole number"},
		{"listen: x\n", "listen.port=1", "listen.port: listen is not a mapping"},
		{"", "items.a={cert: [1, 2]}", "items.a.cert:"},
	} {
		err := DecodeWith([]byte(tc.doc), set(tc.set), &doc{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "(line") {
			t.Errorf("%q: error %v, want %q", tc.set, err, tc.want)
		}
	}
	for _, bad := range []string{"listen", "=x", "a..b=1", ".a=1"} {
		if _, err := ParseAssignment(bad); err == nil {
			t.Errorf("ParseAssignment(%q) took it", bad)
		}
	}
}
