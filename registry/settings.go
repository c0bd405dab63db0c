package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/wasmhook/wasmhook/internal/jsonraw"
	"github.com/wasmhook/wasmhook/internal/strictyaml"
	"github.com/wasmhook/wasmhook/runtime"
)

// settingsFiles are the names a modules directory's settings file may have;
// a directory holds at most one of them.
var settingsFiles = [...]string{"wasmhook.yaml", "wasmhook.yml", "wasmhook.json"}

// SettingsFileNames returns the names a modules directory's settings file
// may have: wasmhook.yaml, wasmhook.yml, wasmhook.json. A directory holds
// at most one of them.
func SettingsFileNames() []string { return slices.Clone(settingsFiles[:]) }

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

// UnmarshalText accepts "skip" or "fail".
func (p *FailurePolicy) UnmarshalText(text []byte) error {
	switch v := FailurePolicy(text); v {
	case Skip, FailEvent:
		*p = v
		return nil
	}
	return fmt.Errorf("want %q or %q", Skip, FailEvent)
}

// ModuleSettings are one module's settings: the same fields whether they
// are given in code (the enricher's Options.Modules) or in the directory's
// settings file (modules.NAME), where the keys are the yaml tags. The zero
// value runs the module with the enricher's limits, no configuration,
// skipping it when it fails. The module's limits are resolved and its
// configuration checked once, when the module loads.
type ModuleSettings struct {
	// Config is the JSON object the guest reads with config_read; nil
	// means "{}". In a settings file: a mapping.
	Config Config `yaml:"config"`
	// Limits override the enricher's; zero fields inherit them. In a
	// settings file their keys sit beside config: timeout, start_timeout,
	// memory, output, log, pool.
	runtime.Limits `yaml:",inline"`
	// Disabled leaves the module out.
	Disabled bool `yaml:"disabled"`
	// OnFailure is Skip (the default) or FailEvent.
	OnFailure FailurePolicy `yaml:"on_failure"`
	// Nest places the module's output under one key of the payload's
	// context instead of merging its keys there: NestByName (true in a
	// settings file) nests it under the callback's name, any other
	// value under that key. "" (false) merges, as NetBox does.
	Nest Nest `yaml:"nest"`
	// HTTP is what the module's http_request may reach; nil (no http
	// block) allows nothing.
	HTTP *HTTPSettings `yaml:"http"`
	// KV bounds the module's key-value store.
	KV KVSettings `yaml:"kv"`
}

// Nest is the key of the payload's context under which a callback's
// output is placed; see ModuleSettings.Nest.
type Nest string

// NestByName nests a callback's output under the callback's own name. It
// is spelled as in a settings file: nest: true.
const NestByName Nest = "true"

// UnmarshalText reads true (the callback's name), false (no nesting) or
// a key.
func (n *Nest) UnmarshalText(text []byte) error {
	switch s := string(text); s {
	case "false":
		*n = ""
	case "":
		return errors.New("want true, false or a key")
	default:
		*n = Nest(s)
	}
	return nil
}

// Key returns the context key a callback named callback is nested under,
// "" for none.
func (n Nest) Key(callback string) string {
	if n == NestByName {
		return callback
	}
	return string(n)
}

// Over returns s with every field it does not set taken from base: s's
// configuration, limits and failure policy win where set, and a module
// disabled in either is disabled.
func (s ModuleSettings) Over(base ModuleSettings) ModuleSettings {
	if s.Config == nil {
		s.Config = base.Config
	}
	s.Limits = s.Limits.Or(base.Limits)
	s.Disabled = s.Disabled || base.Disabled
	if s.OnFailure == "" {
		s.OnFailure = base.OnFailure
	}
	if s.Nest == "" {
		s.Nest = base.Nest
	}
	if s.HTTP == nil {
		s.HTTP = base.HTTP
	}
	if s.KV.MaxBytes == 0 {
		s.KV = base.KV
	}
	return s
}

// Config is a module's configuration: JSON bytes, meant to hold an
// object. In a settings file it is written as YAML (or JSON) and kept
// as JSON, in the file's key order and number spelling.
type Config []byte

// UnmarshalYAML keeps a mapping as JSON.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return errors.New("want an object")
	}
	b, err := yamlToJSON(nil, n)
	if err != nil {
		return err
	}
	*c = b
	return nil
}

// Settings are a modules directory's settings file:
//
//	order: [20-geo, 10-branch]        # optional: these first, in this order
//	modules:
//	  20-geo:
//	    config: {namespace: geo}      # the JSON object the guest reads
//	    timeout: 100ms                # and any other limit: start_timeout,
//	    memory: 32MiB                 # memory, output, log, pool
//	    output: 16KiB
//	    disabled: false
//	    on_failure: skip              # or fail
//	    nest: true                    # its output under context["20-geo"]
//	    http:                         # what http_request may reach (HTTPSettings)
//	      grants: [{prefix: "https://netbox.example.com/api/", headers: {Authorization: "Token ${NETBOX_TOKEN}"}}]
//	    kv: {max_bytes: 256KiB}
//
// in YAML (wasmhook.yaml or wasmhook.yml) or the same shape in JSON
// (wasmhook.json). It is strict: an unknown key, a key given twice or a
// value of the wrong kind is an error naming the file and the key, and so
// are settings for a module the directory does not hold, unless the load
// ignores those (LoadOptions.IgnoreUnmatched).
type Settings struct {
	// File is the settings file, "" when the directory has none.
	File string `yaml:"-"`
	// Order lists callback names to run first, in this order; the others
	// follow in file-name order.
	Order []string `yaml:"order"`
	// Modules holds per-module settings by callback name.
	Modules map[string]ModuleSettings `yaml:"modules"`
}

// ReadSettings reads the settings file of dir, if it has one. It is read
// as module files are: opened once, refused unless it is a regular file,
// and no larger than MaxSettingsBytes.
func ReadSettings(dir string) (*Settings, error) {
	var found []string
	for _, name := range settingsFiles {
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

// ParseSettings parses a settings file's bytes; file names it in errors.
// YAML and JSON are read alike (a JSON document is a YAML one).
func ParseSettings(file string, raw []byte) (*Settings, error) {
	s := &Settings{File: file, Modules: map[string]ModuleSettings{}}
	if err := strictyaml.Decode(raw, s); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSettings, file, err)
	}
	return s, nil
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
