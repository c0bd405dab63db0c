package wasmhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ParseNetBoxBody reads a webhook body as NetBox posts it (and as Enrich
// writes it):
//
//	{"event": "updated", "timestamp": "…", "object_type": "dcim.site" (or "model": "site"),
//	 "username": "…", "request_id": "…", "data": {…}, "request": {…},
//	 "snapshots": {…}, "context": {…}}
//
// "event" maps back to NetBox's event type (created: object_created,
// job_ended: job_completed, job_failed or job_errored after data.status);
// without "object_type", the app label comes from data.url
// (/api/dcim/sites/4/: dcim). A body with a request_id but no request
// gives the callbacks a request with that id and the username only.
// "context" (what NetBox's own callbacks returned) becomes the event's
// Context. The bytes of data, snapshots, request and context are kept.
// An error matches ErrInvalidEvent.
func ParseNetBoxBody(body []byte) (*Event, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: want a JSON object, not %s", ErrInvalidEvent, te.Value)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: want a JSON object, not null", ErrInvalidEvent)
	}
	j, err := fromNetBox(keys)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	ev := new(Event)
	if err := ev.UnmarshalJSON(j); err != nil {
		return nil, err
	}
	if c := keys["context"]; c != nil && !isNull(c) {
		ev.Context = c
	}
	return ev, nil
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
