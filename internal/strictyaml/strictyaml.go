// Package strictyaml decodes YAML (and JSON, read as YAML) into a struct
// strictly, so that every error names the key path and the line: a key
// that names no field, a key given twice, a value of the wrong kind, a
// negative number. Settings and configuration files use it.
package strictyaml

import (
	"encoding"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Decode decodes the document raw into the struct v points to, field by
// field as the struct's yaml tags name them (inline structs flattened;
// maps of structs entry by entry). An empty document leaves v as it is.
// Types decode themselves with UnmarshalText or UnmarshalYAML.
func Decode(raw []byte, v any) error { return DecodeWith(raw, nil, v) }

// An Assignment sets one key of a document, as a command-line flag does:
// Path is the keys from the top, joined by dots (destinations.crm.url),
// Value is YAML (so a list is [5s, 1m] and a mapping {env: NAME}).
type Assignment struct {
	Path, Value string
}

// ParseAssignment reads PATH=VALUE.
func ParseAssignment(s string) (Assignment, error) {
	path, value, ok := strings.Cut(s, "=")
	if !ok || path == "" || slices.Contains(strings.Split(path, "."), "") {
		return Assignment{}, fmt.Errorf("%q: want KEY.PATH=VALUE, e.g. destinations.crm.url=https://crm.example/hooks", s)
	}
	return Assignment{Path: path, Value: value}, nil
}

// DecodeWith is Decode of raw with each assignment applied over it, in
// order: a key an assignment names replaces the document's (a later
// assignment replaces an earlier one), and the mappings on its path are
// made when missing. Errors about an assigned value name its key, with
// no line.
func DecodeWith(raw []byte, set []Assignment, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	n := &doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	empty := n.Kind == 0 || n.Kind == yaml.DocumentNode || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
	if len(set) > 0 {
		if empty {
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			empty = false
		}
		for _, a := range set {
			if err := assign(n, a); err != nil {
				return err
			}
		}
	}
	if empty {
		return nil
	}
	return decodeStrict(n, reflect.ValueOf(v).Elem(), "")
}

// assign applies a to the mapping n.
func assign(n *yaml.Node, a Assignment) error {
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(a.Value), &val); err != nil {
		return fmt.Errorf("%s: %w", a.Path, err)
	}
	value := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"} // an empty value is ""
	if val.Kind == yaml.DocumentNode && len(val.Content) > 0 {
		value = val.Content[0]
	}
	noLines(value)
	keys := strings.Split(a.Path, ".")
	for i, key := range keys {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: %s is not a mapping", a.Path, strings.Join(keys[:i], "."))
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				next = n.Content[j+1]
				if i == len(keys)-1 {
					n.Content[j+1] = value
				}
			}
		}
		switch {
		case i == len(keys)-1 && next == nil:
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
		case next == nil:
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, next)
		}
		n = next
	}
	return nil
}

// noLines marks an assigned value: it is on no line of the file.
func noLines(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		noLines(c)
	}
}

// decodeStrict decodes the YAML mapping n into the struct v, one key at a
// time, so that an error names its key path: a key that names no field
// (fields are named by their yaml tags; inline structs are flattened), a
// key given twice, or a value that does not decode. A map of structs is
// decoded the same way, entry by entry.
func decodeStrict(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return keyError(path, n, errors.New("want a mapping"))
	}
	fields := map[string]reflect.Value{}
	yamlFields(v, fields)
	if v.Kind() == reflect.Map && v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		at := key
		if path != "" {
			at = path + "." + key
		}
		if seen[key] {
			return keyError(at, n.Content[i], errors.New("given twice"))
		}
		seen[key] = true
		if v.Kind() == reflect.Map { // modules: each entry a struct
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := decodeStrict(val, elem, at); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key), elem)
			continue
		}
		f, ok := fields[key]
		if !ok {
			return keyError(at, n.Content[i], fmt.Errorf("unknown key (want %s)", strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
		}
		if (f.Kind() == reflect.Map && plainStruct(f.Type().Elem())) || plainStruct(f.Type()) {
			if err := decodeStrict(val, f, at); err != nil {
				return err
			}
			continue
		}
		if f.Kind() == reflect.Pointer && plainStruct(f.Type().Elem()) { // an optional block
			if f.IsNil() {
				f.Set(reflect.New(f.Type().Elem()))
			}
			if err := decodeStrict(val, f.Elem(), at); err != nil {
				return err
			}
			continue
		}
		if f.Kind() == reflect.Slice && plainStruct(f.Type().Elem()) { // a list of blocks
			if val.Kind == yaml.AliasNode {
				val = val.Alias
			}
			if val.Kind != yaml.SequenceNode {
				return keyError(at, val, errors.New("want a list"))
			}
			list := reflect.MakeSlice(f.Type(), len(val.Content), len(val.Content))
			for j, item := range val.Content {
				if err := decodeStrict(item, list.Index(j), fmt.Sprintf("%s[%d]", at, j)); err != nil {
					return err
				}
			}
			f.Set(list)
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return keyError(at, val, valueError(f.Type(), err))
		}
		if f.CanInt() && f.Int() < 0 { // a limit: zero inherits, below zero means nothing
			return keyError(at, val, errors.New("want zero or more"))
		}
	}
	return nil
}

// yamlFields lists the fields of struct v by yaml key, flattening inline
// structs.
func yamlFields(v reflect.Value, into map[string]reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline" && f.Anonymous:
			yamlFields(v.Field(i), into) // its exported fields, even if it is not
		case name == "-" || !f.IsExported():
		case opts == "inline":
			yamlFields(v.Field(i), into)
		case name != "":
			into[name] = v.Field(i)
		}
	}
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// plainStruct reports whether t is a struct decoded field by field: one
// that does not decode itself.
func plainStruct(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Kind() == reflect.Struct && !p.Implements(textUnmarshalerType) && !p.Implements(yamlUnmarshalerType)
}

// valueError says what a key wants, in the words of the settings file.
func valueError(t reflect.Type, err error) error {
	switch {
	case t == durationType:
		return errors.New("want a duration like 100ms")
	case t.Kind() == reflect.Bool:
		return errors.New("want true or false")
	case t.Kind() == reflect.Int:
		return errors.New("want a whole number")
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return errors.New("want a list of module names")
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return errors.New(te.Errors[0])
	}
	return err // a type's own UnmarshalText or UnmarshalYAML: it says what it wants
}

// keyError names the key and, after the reason, the line (none for an
// assigned value).
func keyError(path string, n *yaml.Node, err error) error {
	if n.Line == 0 {
		if path == "" {
			return err
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if path == "" {
		return fmt.Errorf("%w (line %d)", err, n.Line)
	}
	return fmt.Errorf("%s: %w (line %d)", path, err, n.Line)
}
