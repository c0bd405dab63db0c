package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/wasmhook/wasmhook"
)

// member is one key of a callback's result. Go maps have no order, and the
// payload's context keeps the order keys were first set in, so callbacks
// return their keys in order.
type member struct {
	Key   string
	Value any
}

// nativeCallback is W1's callback signature for the Go reference: NetBox's
// (object_type, event_type, data, request), data decoded.
type nativeCallback func(objectType, eventType string, data map[string]any, req *wasmhook.Request) []member

var nativeCallbacks = []nativeCallback{nativeCB1, nativeCB2, nativeCB3}

// nativeCB1 returns {"foo": 123} without reading its input.
func nativeCB1(string, string, map[string]any, *wasmhook.Request) []member {
	return []member{{"foo", 123}}
}

// nativeCB2 returns {"site_status": data.status.value, "name_len":
// <characters in data.name>}.
func nativeCB2(_, _ string, data map[string]any, _ *wasmhook.Request) []member {
	var status, nameLen any
	if st, ok := data["status"].(map[string]any); ok {
		status = st["value"]
	}
	if name, ok := data["name"].(string); ok {
		nameLen = utf8.RuneCountInString(name)
	}
	return []member{{"site_status", status}, {"name_len", nameLen}}
}

// nativeCB3 returns {"my_plugin": {"foo": 123, "bar": 456}}.
func nativeCB3(string, string, map[string]any, *wasmhook.Request) []member {
	return []member{{"my_plugin", map[string]any{"foo": 123, "bar": 456}}}
}

// orderedMap is the merged context: Python's dict.update, which NetBox
// uses: later callbacks win, a key keeps its first position.
type orderedMap struct {
	keys []string
	vals map[string]any
}

func newOrderedMap() *orderedMap { return &orderedMap{vals: map[string]any{}} }

func (m *orderedMap) update(ms []member) {
	for _, kv := range ms {
		if _, ok := m.vals[kv.Key]; !ok {
			m.keys = append(m.keys, kv.Key)
		}
		m.vals[kv.Key] = kv.Value
	}
}

func (m *orderedMap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// decodeMembers decodes a callback's JSON output (an object, or nothing)
// keeping its key order.
func decodeMembers(out []byte) ([]member, error) {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("output is not an object")
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		ms = append(ms, member{tok.(string), v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return ms, nil
}

// refPayload is NetBox's webhook body, keys in NetBox's order.
type refPayload struct {
	Event      string          `json:"event"`
	Timestamp  string          `json:"timestamp"`
	ObjectType string          `json:"object_type"`
	Username   *string         `json:"username"`
	RequestID  *string         `json:"request_id"`
	Data       json.RawMessage `json:"data"`
	Request    *refRequest     `json:"request,omitempty"`
	Snapshots  *refSnapshots   `json:"snapshots,omitempty"`
	Context    *orderedMap     `json:"context,omitempty"`
}

type refRequest struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	User   string `json:"user"`
}

type refSnapshots struct {
	Prechange  json.RawMessage `json:"prechange"`
	Postchange json.RawMessage `json:"postchange"`
}

// marshalPayload encodes the payload of ev with context (when not empty)
// with encoding/json.
func marshalPayload(ev *wasmhook.Event, context *orderedMap) ([]byte, error) {
	p := refPayload{
		Event:      eventName(ev.EventType),
		Timestamp:  ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000000-07:00"),
		ObjectType: ev.ObjectType,
		Data:       ev.Data,
	}
	if ev.Username != "" {
		p.Username = &ev.Username
	}
	if r := ev.Request; r != nil {
		id := r.ID.String()
		p.RequestID = &id
		p.Request = &refRequest{ID: id, Method: r.Method, Path: r.Path, User: r.User}
	}
	if s := ev.Snapshots; s != nil {
		p.Snapshots = &refSnapshots{Prechange: s.Prechange, Postchange: s.Postchange}
	}
	if context != nil && len(context.keys) > 0 {
		p.Context = context
	}
	return json.Marshal(&p)
}

// eventName maps a raw event type to the payload's "event", as NetBox does.
func eventName(t string) string {
	switch t {
	case "object_created":
		return "created"
	case "object_updated":
		return "updated"
	case "object_deleted":
		return "deleted"
	case "job_completed", "job_failed", "job_errored":
		return "job_ended"
	}
	return t
}
