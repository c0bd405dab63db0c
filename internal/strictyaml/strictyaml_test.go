package strictyaml

import (
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
