package wasmhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// The top-level keys of an event body in either form: wasmhook's event
// JSON has the first seven, a NetBox webhook body all but event_type.
const (
	keyObjectType = iota
	keyEventType
	keyTimestamp
	keyUsername
	keyData
	keyRequest
	keySnapshots
	keyEvent // NetBox's from here on
	keyModel
	keyRequestID
	keyContext
	numKeys
)

var bodyKeys = [numKeys]string{"object_type", "event_type", "timestamp", "username", "data", "request", "snapshots", "event", "model", "request_id", "context"}

// bodyMembers are the top-level members of an event body, read in one
// pass: each known key's value as raw bytes (nil when absent; a key given
// twice keeps its last value, as encoding/json does), and the first key
// neither form has.
type bodyMembers struct {
	raw     [numKeys][]byte
	unknown string
}

// readBody validates b (UTF-8 included) and reads its top-level members.
// An error matches ErrInvalidEvent; for a body that is not JSON it also
// matches *json.SyntaxError.
func readBody(b []byte) (*bodyMembers, error) {
	if err := jsonraw.Validate(b); err != nil {
		var raw json.RawMessage
		if serr := json.Unmarshal(b, &raw); serr != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, serr) // encoding/json's words and offset
		}
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("%w: the body is not UTF-8", ErrInvalidEvent)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidEvent, err) // nested too deep
	}
	m := new(bodyMembers)
	err := jsonraw.Members(b, func(key string, value []byte) error {
		for i, k := range bodyKeys {
			if k == key {
				m.raw[i] = value
				return nil
			}
		}
		if m.unknown == "" {
			m.unknown = strings.Clone(key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: want a JSON object, not %s", ErrInvalidEvent, jsonKind(b))
	}
	return m, nil
}

// jsonKind names the kind of the valid JSON value b.
func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	}
	return "a number"
}

// str decodes the string member key; absent and null are "".
func (m *bodyMembers) str(key int) (string, error) {
	raw := m.raw[key]
	if raw == nil || isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", fmt.Errorf("%s: want a string or null, not %s", bodyKeys[key], jsonKind(raw))
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil // valid: no escapes, UTF-8 checked
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// nonNull is raw, or nil when raw is absent or null.
func nonNull(raw []byte) json.RawMessage {
	if raw == nil || isNull(raw) {
		return nil
	}
	return raw
}

// requestJSON is the JSON form of a Request.
type requestJSON struct {
	ID      string                     `json:"id"`
	Method  string                     `json:"method"`
	Path    string                     `json:"path"`
	User    string                     `json:"user"`
	Headers map[string]json.RawMessage `json:"headers"`
}

// UnmarshalJSON reads an event from its JSON form:
//
//	{"object_type": "dcim.site", "event_type": "object_updated",
//	 "timestamp": "2026-03-06T15:11:23.503186+00:00", "username": "jstretch",
//	 "request": {"id": "…", "method": "PATCH", "path": "/api/…", "user": "jstretch",
//	             "headers": {"User-Agent": "…"}},
//	 "data": {…}, "snapshots": {"prechange": {…}, "postchange": {…}}}
//
// data and snapshots keep their bytes. timestamp, username, request and
// snapshots may be left out; a header value is a string or a list of them.
// An error matches ErrInvalidEvent.
func (ev *Event) UnmarshalJSON(b []byte) error {
	m, err := readBody(b)
	if err != nil {
		return err
	}
	out, err := m.event()
	if err != nil {
		return err
	}
	*ev = *out
	return nil
}

// ParseEvent reads an event body in either form the library reads:
// wasmhook's event JSON (told by its "event_type" key; see
// Event.UnmarshalJSON) or a webhook body as NetBox posts it (told by its
// "event" key; see ParseNetBoxBody). The body is read in one pass. An
// error matches ErrInvalidEvent, and for a body that is not JSON also
// *json.SyntaxError.
func ParseEvent(body []byte) (*Event, error) {
	m, err := readBody(body)
	if err != nil {
		return nil, err
	}
	switch {
	case m.raw[keyEventType] != nil:
		return m.event()
	case m.raw[keyEvent] != nil:
		return m.netbox()
	}
	return nil, fmt.Errorf("%w: neither wasmhook's event JSON (no \"event_type\") nor a NetBox webhook body (no \"event\")", ErrInvalidEvent)
}

// event builds the event of wasmhook's event JSON.
func (m *bodyMembers) event() (*Event, error) {
	ev, err := m.eventFields()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return ev, nil
}

func (m *bodyMembers) eventFields() (*Event, error) {
	unknown := m.unknown
	for k := keyEvent; k < numKeys && unknown == ""; k++ {
		if m.raw[k] != nil {
			unknown = bodyKeys[k]
		}
	}
	if unknown != "" {
		return nil, fmt.Errorf("unknown key %q (wasmhook's event JSON has %s)", unknown, strings.Join(bodyKeys[:keyEvent], ", "))
	}
	ev := &Event{Data: nonNull(m.raw[keyData])}
	var err error
	if ev.ObjectType, err = m.str(keyObjectType); err != nil {
		return nil, err
	}
	if ev.EventType, err = m.str(keyEventType); err != nil {
		return nil, err
	}
	if ev.Username, err = m.str(keyUsername); err != nil {
		return nil, err
	}
	ts, err := m.str(keyTimestamp)
	if err != nil {
		return nil, err
	}
	if err := ev.setTimestamp(ts); err != nil {
		return nil, err
	}
	if ev.Request, err = parseRequest(m.raw[keyRequest]); err != nil {
		return nil, err
	}
	if ev.Snapshots, err = parseSnapshots(m.raw[keySnapshots]); err != nil {
		return nil, err
	}
	return ev, nil
}

// setTimestamp parses an RFC 3339 timestamp; "" leaves it zero.
func (ev *Event) setTimestamp(ts string) error {
	if ts == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return fmt.Errorf("timestamp: %v", err)
	}
	ev.Timestamp = t
	return nil
}

// parseRequest reads a request member; absent and null are nil.
func parseRequest(raw []byte) (*Request, error) {
	if nonNull(raw) == nil {
		return nil, nil
	}
	var r requestJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("request: %v", err)
	}
	req := &Request{Method: r.Method, Path: r.Path, User: r.User}
	if r.ID != "" {
		id, err := uuid.Parse(r.ID)
		if err != nil {
			return nil, fmt.Errorf("request.id: %v", err)
		}
		req.ID = id
	}
	if len(r.Headers) > 0 {
		req.Header = http.Header{}
		for name, raw := range r.Headers {
			var one string
			var many []string
			if json.Unmarshal(raw, &one) == nil {
				req.Header.Add(name, one)
			} else if json.Unmarshal(raw, &many) == nil {
				for _, v := range many {
					req.Header.Add(name, v)
				}
			} else {
				return nil, fmt.Errorf("request.headers.%s: want a string or a list of strings", name)
			}
		}
	}
	return req, nil
}

// parseSnapshots reads a snapshots member; absent and null are nil.
func parseSnapshots(raw []byte) (*Snapshots, error) {
	if nonNull(raw) == nil {
		return nil, nil
	}
	s := new(Snapshots)
	err := jsonraw.Members(raw, func(key string, value []byte) error {
		switch key {
		case "prechange":
			s.Prechange = nonNull(value)
		case "postchange":
			s.Postchange = nonNull(value)
		default:
			return fmt.Errorf("unknown key %q (snapshots has prechange and postchange)", key)
		}
		return nil
	})
	if err != nil {
		var se *jsonraw.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("snapshots: want an object, not %s", jsonKind(raw))
		}
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	return s, nil
}

func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }
