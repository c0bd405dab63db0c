package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
	"github.com/wasmhook/wasmhook/internal/units"
)

// SettingsFiles are the names a modules directory's settings file may have;
// a directory holds at most one of them.
var SettingsFiles = []string{"wasmhook.yaml", "wasmhook.yml", "wasmhook.json"}

// ErrSettings: the settings file is not valid.
var ErrSettings = errors.New("invalid settings")

// FailurePolicy says what a callback's failure does to the event.
type FailurePolicy string

const (
	// Skip (the default) drops the failed callback's result; the event goes
	// on with the others', as NetBox does.
	Skip FailurePolicy = "skip"
	// FailEvent makes Enrich fail the whole event, for a callback whose
	// result the receiver cannot do without.
	FailEvent FailurePolicy = "fail"
)

// Settings are a modules directory's settings file:
//
//	order: [20-geo, 10-branch]        # optional: these first, in this order
//	modules:
//	  20-geo:
//	    config: {namespace: geo}      # the JSON object the guest reads
//	    timeout: 100ms
//	    memory: 32MiB
//	    output: 16KiB
//	    enabled: true
//	    on_failure: skip              # or fail
//
// in YAML (wasmhook.yaml) or the same shape in JSON (wasmhook.json). It is
// strict: an unknown key is an error naming the file and the key, and so
// are settings for a module the directory does not hold, unless the load
// ignores those (LoadOptions.IgnoreUnmatched).
type Settings struct {
	// File is the settings file, "" when the directory has none.
	File string
	// Order lists callback names to run first, in this order; the others
	// follow in file-name order.
	Order []string
	// Modules holds per-module settings by callback name.
	Modules map[string]ModuleSettings
}

// ModuleSettings are one module's entry in a settings file. Zero fields are
// not set.
type ModuleSettings struct {
	Config      []byte
	Timeout     time.Duration
	MemoryBytes uint64
	OutputBytes int
	Enabled     *bool
	OnFailure   FailurePolicy
}

// ReadSettings reads the settings file of dir, if it has one. It is read
// as module files are: opened once, refused unless it is a regular file,
// and no larger than MaxSettingsBytes.
func ReadSettings(dir string) (*Settings, error) {
	var found []string
	for _, name := range SettingsFiles {
		file := filepath.Join(dir, name)
		if _, err := os.Lstat(file); err == nil {
			found = append(found, file)
		}
	}
	switch len(found) {
	case 0:
		return &Settings{}, nil
	case 1:
	default:
		return nil, fmt.Errorf("%w: %s and %s: keep one settings file", ErrSettings, found[0], found[1])
	}
	file := found[0]
	raw, err := readRegular(file, MaxSettingsBytes, "the settings file", 0, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSettings, file, err)
	}
	return ParseSettings(file, raw)
}

// ParseSettings parses a settings file's bytes; file names it in errors and
// its extension says whether it is YAML or JSON.
func ParseSettings(file string, raw []byte) (*Settings, error) {
	fail := func(key, format string, args ...any) error {
		where := file
		if key != "" {
			where += ": " + key
		}
		return fmt.Errorf("%w: %s: %s", ErrSettings, where, fmt.Sprintf(format, args...))
	}
	doc := raw
	if !strings.HasSuffix(file, ".json") {
		var node yaml.Node
		if err := yaml.Unmarshal(raw, &node); err != nil {
			return nil, fail("", "%v", err)
		}
		var err error
		if doc, err = yamlToJSON(nil, &node); err != nil {
			return nil, fail("", "%v", err)
		}
	}
	s := &Settings{File: file, Modules: map[string]ModuleSettings{}}
	if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "null" {
		return s, nil
	}
	if err := jsonraw.Validate(doc); err != nil {
		return nil, fail("", "%v", err)
	}
	top, err := object(doc)
	if err != nil {
		return nil, fail("", "%v", err)
	}
	for _, key := range sortedKeys(top) {
		v := top[key]
		switch key {
		case "order":
			if err := json.Unmarshal(v, &s.Order); err != nil {
				return nil, fail("order", "want a list of module names")
			}
		case "modules":
			mods, err := object(v)
			if err != nil {
				return nil, fail("modules", "%v", err)
			}
			for _, name := range sortedKeys(mods) {
				ms, err := parseModule(mods[name], func(key, format string, args ...any) error {
					return fail("modules."+name+keySuffix(key), format, args...)
				})
				if err != nil {
					return nil, err
				}
				s.Modules[name] = ms
			}
		default:
			return nil, fail(key, "unknown key (want order or modules)")
		}
	}
	return s, nil
}

func keySuffix(key string) string {
	if key == "" {
		return ""
	}
	return "." + key
}

func parseModule(raw json.RawMessage, fail func(key, format string, args ...any) error) (ModuleSettings, error) {
	var ms ModuleSettings
	fields, err := object(raw)
	if err != nil {
		return ms, fail("", "%v", err)
	}
	for _, key := range sortedKeys(fields) {
		v := fields[key]
		var str string
		isString := json.Unmarshal(v, &str) == nil
		switch key {
		case "config":
			if c := bytes.TrimSpace(v); len(c) == 0 || c[0] != '{' {
				return ms, fail(key, "want an object")
			}
			ms.Config = bytes.TrimSpace(v)
		case "timeout":
			d, err := time.ParseDuration(str)
			if !isString || err != nil || d <= 0 {
				return ms, fail(key, "want a duration like 100ms")
			}
			ms.Timeout = d
		case "memory", "output":
			if !isString {
				str = string(v)
			}
			n, err := units.ParseBytes(str)
			if err != nil || n == 0 {
				return ms, fail(key, "want a size like 64KiB or 32MiB")
			}
			if key == "memory" {
				ms.MemoryBytes = n
			} else {
				ms.OutputBytes = int(n)
			}
		case "enabled":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return ms, fail(key, "want true or false")
			}
			ms.Enabled = &b
		case "on_failure":
			p := FailurePolicy(str)
			if !isString || (p != Skip && p != FailEvent) {
				return ms, fail(key, "want %q or %q", Skip, FailEvent)
			}
			ms.OnFailure = p
		default:
			return ms, fail(key, "unknown key (want config, timeout, memory, output, enabled or on_failure)")
		}
	}
	return ms, nil
}

// object decodes one JSON object's members, refusing duplicates.
func object(raw []byte) (map[string]json.RawMessage, error) {
	if c := bytes.TrimSpace(raw); len(c) == 0 || c[0] != '{' {
		return nil, errors.New("want a mapping")
	}
	out := map[string]json.RawMessage{}
	err := jsonraw.Members(raw, func(key string, value []byte) error {
		if _, dup := out[key]; dup {
			return fmt.Errorf("%q given twice", key)
		}
		out[key] = json.RawMessage(value)
		return nil
	})
	return out, err
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// yamlToJSON appends the JSON form of a YAML node, keeping mapping order
// and number text.
func yamlToJSON(dst []byte, n *yaml.Node) ([]byte, error) {
	switch n.Kind {
	case 0:
		return append(dst, "null"...), nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return append(dst, "null"...), nil
		}
		return yamlToJSON(dst, n.Content[0])
	case yaml.AliasNode:
		return yamlToJSON(dst, n.Alias)
	case yaml.MappingNode:
		dst = append(dst, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonraw.AppendString(dst, n.Content[i].Value)
			dst = append(dst, ':')
			var err error
			if dst, err = yamlToJSON(dst, n.Content[i+1]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case yaml.SequenceNode:
		dst = append(dst, '[')
		for i, c := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = yamlToJSON(dst, c); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return append(dst, "null"...), nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return append(dst, fmt.Sprint(b)...), nil
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				return append(dst, n.Value...), nil
			}
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, err
			}
			return append(dst, fmt.Sprint(f)...), nil
		}
		return jsonraw.AppendString(dst, n.Value), nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML", n.Line)
}
