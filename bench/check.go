package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// samePayload reports how got differs from want: both are parsed as JSON
// (numbers kept as their text) and the decoded values compared, and the
// keys of context must come in the same order.
func samePayload(want, got []byte) error {
	a, err := decodeJSON(want)
	if err != nil {
		return fmt.Errorf("reference payload: %w", err)
	}
	b, err := decodeJSON(got)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("payloads differ:\nwant %s\ngot  %s", want, got)
	}
	ka, err := contextKeys(want)
	if err != nil {
		return err
	}
	kb, err := contextKeys(got)
	if err != nil {
		return err
	}
	if !slices.Equal(ka, kb) {
		return fmt.Errorf("context key order differs: want %q, got %q", ka, kb)
	}
	return nil
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// contextKeys returns the keys of the payload's context in order (nil when
// it has none).
func contextKeys(payload []byte) ([]string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return nil, err
	}
	ctx, ok := top["context"]
	if !ok {
		return nil, nil
	}
	return objectKeys(ctx)
}

// objectKeys returns the top-level keys of a JSON object in order.
func objectKeys(obj []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %s", obj)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// checkContext checks that payload's context is the expected one (decoded
// values and key order).
func checkContext(payload, expected []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return err
	}
	got, ok := top["context"]
	if !ok {
		return fmt.Errorf("the payload has no context")
	}
	a, err := decodeJSON(expected)
	if err != nil {
		return fmt.Errorf("expected context: %w", err)
	}
	b, err := decodeJSON(got)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("context differs:\nwant %s\ngot  %s", expected, got)
	}
	ka, err := objectKeys(expected)
	if err != nil {
		return err
	}
	kb, err := objectKeys(got)
	if err != nil {
		return err
	}
	if !slices.Equal(ka, kb) {
		return fmt.Errorf("context key order differs: want %q, got %q", ka, kb)
	}
	return nil
}
