// Package examples_test runs every example plugin, in every language, over
// the same events and requires identical outputs from all of them, equal to
// a reference written here in Go from the rules of README.md.
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/testmod"
	"github.com/wasmhook/wasmhook/runtime"
)

// committed are the examples whose .wasm is committed beside the source
// (CI rebuilds them from source before this test runs).
// Each language's site_status reads its fields with field reads; its
// site_status_scan copies the input and scans it with the SDK's reader.
var committed = map[string]string{
	"wat":                 "wat/site_status.wasm",
	"wat-scan":            "wat/scan/site_status_scan.wasm",
	"c":                   "c/site_status.wasm",
	"c-scan":              "c/site_status_scan.wasm",
	"rust":                "rust/site_status.wasm",
	"rust-scan":           "rust/site_status_scan.wasm",
	"assemblyscript":      "assemblyscript/site_status.wasm",
	"assemblyscript-scan": "assemblyscript/site_status_scan.wasm",
}

// built are the Go examples, built from source by testmod.BuildGo.
var built = map[string]struct{ dir, mode string }{
	"go":         {"go/site_status", "c-shared"},
	"go-scan":    {"go/site_status_scan", "c-shared"},
	"go-command": {"go/command", "exe"},
}

// configs are the configurations each module runs with.
var configs = []string{
	``, // none: the guest reads {}
	`{"namespace": "geo"}`,
	`{"namespace": "Z\u00fcrich \"ns\" \\ \t"}`,
	`{"namespace": 42, "other": true}`, // not a string: no namespace
}

// modules returns every example module's bytes by language, and a
// compilation cache that holds them all, compiled.
func modules(t *testing.T) (mods map[string][]byte, cache string) {
	t.Helper()
	mods = map[string][]byte{}
	var files []string
	for lang, path := range committed {
		b, err := os.ReadFile(path)
		require.NoError(t, err, "%s example: build it with `make wasm`", lang)
		mods[lang] = b
		files = append(files, path)
	}
	out := t.TempDir()
	for lang, src := range built {
		wasm := filepath.Join(out, lang+".wasm")
		require.NoError(t, testmod.BuildGo(src.dir, wasm, src.mode == "c-shared"))
		var err error
		mods[lang], err = os.ReadFile(wasm)
		require.NoError(t, err)
		files = append(files, wasm)
	}
	// Compiled outside this -race binary, where the Go guests would take
	// tens of seconds each.
	cache = filepath.Join(out, "cache")
	require.NoError(t, testmod.Precompile(cache, nil, files...))
	return mods, cache
}

type fixture struct {
	name  string
	input []byte // the ABI input JSON
	data  json.RawMessage
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob("testdata/events/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []fixture
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var ev wasmhook.Event
		require.NoError(t, json.Unmarshal(raw, &ev), f)
		in := abi.Input{ObjectType: ev.ObjectType, EventType: ev.EventType, Data: ev.Data, Request: ev.Request}
		out = append(out, fixture{name: filepath.Base(f), input: abi.AppendInput(nil, &in, nil), data: ev.Data})
	}
	return out
}

func TestConformance(t *testing.T) {
	mods, cache := modules(t)
	langs := make([]string, 0, len(mods))
	for lang := range mods {
		langs = append(langs, lang)
	}
	sort.Strings(langs)

	ctx := context.Background()
	eng, err := runtime.NewEngine(ctx, runtime.Config{CompilationCacheDir: cache})
	require.NoError(t, err)
	defer eng.Close(ctx)

	// Every configuration's modules stay loaded until the end: wazero
	// keeps one compiled copy of each module while any load of it is open,
	// so each is read from the cache once, not once per configuration.
	for ci, cfg := range configs {
		loaded := map[string]*runtime.Module{}
		for _, lang := range langs {
			m, err := eng.Load(ctx, "site_status", lang, mods[lang], runtime.ModuleOptions{Config: []byte(cfg)})
			require.NoError(t, err, lang)
			loaded[lang] = m
		}
		for _, fx := range fixtures(t) {
			want := reference(t, fx.data, cfg)
			t.Run(fmt.Sprintf("config%d/%s", ci, fx.name), func(t *testing.T) {
				for _, lang := range langs {
					out, err := loaded[lang].Call(ctx, fx.input, nil)
					if assert.NoError(t, err, lang) {
						assert.Equal(t, want, string(out), "%s on %s with config %s", lang, fx.name, cfg)
					}
				}
			})
		}
	}
}

// reference is site_status written from README.md's rules.
func reference(t *testing.T, data json.RawMessage, cfg string) string {
	t.Helper()
	var obj map[string]json.RawMessage
	var body bytes.Buffer
	body.WriteByte('{')
	if json.Unmarshal(data, &obj) == nil {
		var status map[string]json.RawMessage
		if json.Unmarshal(obj["status"], &status) == nil {
			if v := bytes.TrimSpace(status["value"]); len(v) > 0 && v[0] == '"' {
				body.WriteString(`"site_status":`)
				body.Write(v)
			}
		}
		var name string
		if n := bytes.TrimSpace(obj["name"]); len(n) > 0 && n[0] == '"' && json.Unmarshal(n, &name) == nil {
			if body.Len() > 1 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `"name_len":%d`, utf8.RuneCountInString(name))
		}
	}
	body.WriteByte('}')

	var c struct{ Namespace any }
	if cfg != "" {
		require.NoError(t, json.Unmarshal([]byte(cfg), &c))
	}
	ns, ok := c.Namespace.(string)
	if !ok {
		return body.String()
	}
	return "{" + escapeKey(ns) + ":" + body.String() + "}"
}

// escapeKey writes s as README.md says: " and \ backslash-escaped, control
// characters as \u00XX, everything else raw UTF-8.
func escapeKey(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestReference pins the reference on the README's own examples.
func TestReference(t *testing.T) {
	assert.Equal(t, `{"site_status":"active","name_len":10}`,
		reference(t, json.RawMessage(`{"name": "Z\u00fcrich <1>", "status": {"value": "active"}}`), ""))
	assert.Equal(t, `{"geo":{}}`, reference(t, json.RawMessage(`{"status": "active"}`), `{"namespace":"geo"}`))
	assert.Equal(t, `{"name_len":1}`, reference(t, json.RawMessage(`{"name": "\ud83d\ude00"}`), ""))
	assert.Equal(t, `{"site_status":"act\"ive"}`, reference(t, json.RawMessage(`{"status": {"value": "act\"ive"}}`), ""))
}
