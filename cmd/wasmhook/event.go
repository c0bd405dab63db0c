package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wasmhook/wasmhook"
)

// The two shapes an event file may have.
const eventFormats = `An event file is either of:
  - wasmhook's event JSON, what an application hands the library:
      {"object_type": "dcim.site", "event_type": "object_updated",
       "timestamp": "…", "username": "…", "request": {"id", "method", "path", "user", "headers"},
       "data": {…}, "snapshots": {"prechange": …, "postchange": …}}
  - a NetBox webhook body, as NetBox posts it (and as run prints it):
      {"event": "updated", "timestamp": "…", "object_type": "dcim.site" (or "model": "site"),
       "username": "…", "request_id": "…", "data": {…}, "request": {…}, "snapshots": {…}, "context": {…}}
    "event" is mapped back to NetBox's event type (created: object_created, job_ended:
    job_completed, job_failed or job_errored after data.status); "context" is ignored (the
    modules make it anew); without "object_type", the app label comes from data.url
    (/api/dcim/sites/4/: dcim). A body with a request_id but no request gives the
    callbacks a request with that id and the username only.
The format is told by its keys: "event_type" for the first, "event" for the second.
`

// eventName names an event source in messages.
func eventName(file string) string {
	switch file {
	case "":
		return "(bundled sample)"
	case "-":
		return "stdin"
	}
	return file
}

// readEvent reads an event in either format (see eventFormats); errors
// name the file and, for JSON syntax, the line and column.
func readEvent(file string, raw []byte) (*wasmhook.Event, error) {
	name := eventName(file)
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			at := se.Offset - 1 // the byte that made the error
			if se.Offset >= int64(len(raw)) {
				at = int64(len(raw)) // the end came too soon
			}
			line, col := position(raw, at)
			return nil, fmt.Errorf("event %s:%d:%d: %v", name, line, col, se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("event %s: want a JSON object, not %s", name, map[string]string{
				"array": "an array", "number": "a number", "string": "a string", "bool": "a boolean"}[te.Value])
		}
		return nil, fmt.Errorf("event %s: %v", name, err)
	}
	if keys == nil {
		return nil, fmt.Errorf("event %s: want a JSON object, not null", name)
	}
	ev := new(wasmhook.Event)
	switch _, isEvent := keys["event_type"]; {
	case isEvent:
		if err := json.Unmarshal(raw, ev); err != nil {
			return nil, fmt.Errorf("event %s: %w", name, err)
		}
	case keys["event"] != nil:
		j, err := fromNetBox(keys)
		if err == nil {
			err = json.Unmarshal(j, ev)
		}
		if err != nil {
			return nil, fmt.Errorf("event %s (a NetBox webhook body): %w", name, err)
		}
	default:
		return nil, fmt.Errorf("event %s: neither wasmhook's event JSON (no \"event_type\") nor a NetBox webhook body (no \"event\"); see 'wasmhook run --help'", name)
	}
	return ev, nil
}

// position turns a byte offset into a 1-based line and column (in bytes).
func position(raw []byte, offset int64) (line, col int) {
	before := raw[:min(max(offset, 0), int64(len(raw)))]
	at := len(before)
	line = 1 + bytes.Count(before, []byte("\n"))
	col = at - bytes.LastIndexByte(before, '\n')
	return line, col
}

// netboxKeys are the keys of NetBox's webhook body.
var netboxKeys = []string{"event", "timestamp", "object_type", "model", "username", "request_id", "data", "request", "snapshots", "context"}

// netboxEvents maps a body's "event" back to NetBox's event types
// (extras/webhooks.py maps them the other way).
var netboxEvents = map[string]string{
	"created": "object_created",
	"updated": "object_updated",
	"deleted": "object_deleted",
}

// fromNetBox turns a NetBox webhook body into wasmhook's event JSON. The
// bytes of data, snapshots and request are kept as they are.
func fromNetBox(keys map[string]json.RawMessage) ([]byte, error) {
	for k := range keys {
		if !slices.Contains(netboxKeys, k) {
			return nil, fmt.Errorf("unknown key %q (a NetBox body has %s)", k, strings.Join(netboxKeys, ", "))
		}
	}
	str := func(key string) (string, error) {
		var s *string
		if raw := keys[key]; raw != nil {
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%s: want a string or null", key)
			}
		}
		if s == nil {
			return "", nil
		}
		return *s, nil
	}
	event, err := str("event")
	if err != nil {
		return nil, err
	}
	eventType := event
	if t, ok := netboxEvents[event]; ok {
		eventType = t
	} else if event == "job_ended" {
		eventType = jobEnded(keys["data"])
	}
	objectType, err := str("object_type")
	if err != nil {
		return nil, err
	}
	if objectType == "" {
		model, err := str("model")
		if err != nil {
			return nil, err
		}
		if objectType = model; model != "" && !strings.Contains(model, ".") {
			app := appLabel(keys["data"])
			if app == "" {
				return nil, fmt.Errorf("model %q names no app, and data.url none either: add \"object_type\": \"APP.%s\"", model, model)
			}
			objectType = app + "." + model
		}
	}
	if objectType == "" {
		return nil, errors.New(`no "object_type" (or "model")`)
	}
	timestamp, err := str("timestamp")
	if err != nil {
		return nil, err
	}
	if len(timestamp) > 10 && timestamp[10] == ' ' {
		// Python's str(datetime), as NetBox's docs show it.
		timestamp = timestamp[:10] + "T" + timestamp[11:]
	}
	username, err := str("username")
	if err != nil {
		return nil, err
	}
	requestID, err := str("request_id")
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	field := func(key string, value []byte) {
		if b.Len() == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(value)
	}
	quote := func(s string) []byte { q, _ := json.Marshal(s); return q }
	field("object_type", quote(objectType))
	field("event_type", quote(eventType))
	if timestamp != "" {
		field("timestamp", quote(timestamp))
	}
	if username != "" {
		field("username", quote(username))
	}
	switch req := keys["request"]; {
	case req != nil && string(bytes.TrimSpace(req)) != "null":
		field("request", req)
	case requestID != "":
		r, _ := json.Marshal(map[string]string{"id": requestID, "user": username})
		field("request", r)
	}
	if data := keys["data"]; data != nil {
		field("data", data)
	}
	if sn := keys["snapshots"]; sn != nil {
		field("snapshots", sn)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jobEnded picks the job event type that NetBox wrote as "job_ended" from
// the job's status: completed, failed or errored.
func jobEnded(data json.RawMessage) string {
	var job struct {
		Status struct {
			Value string `json:"value"`
		} `json:"status"`
	}
	json.Unmarshal(data, &job)
	switch job.Status.Value {
	case "failed", "errored":
		return "job_" + job.Status.Value
	}
	return "job_completed"
}

// appLabel reads the app label from data.url: /api/dcim/sites/4/ (or
// https://netbox.example/api/dcim/sites/4/) is in dcim.
func appLabel(data json.RawMessage) string {
	var obj struct {
		URL string `json:"url"`
	}
	json.Unmarshal(data, &obj)
	_, rest, ok := strings.Cut(obj.URL, "/api/")
	if !ok {
		return ""
	}
	app, _, _ := strings.Cut(rest, "/")
	if app == "plugins" {
		return "" // a plugin's URL name need not be its app label
	}
	return app
}
