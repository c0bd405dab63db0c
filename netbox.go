package wasmhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
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
	m, err := readBody(body)
	if err != nil {
		return nil, err
	}
	return m.netbox()
}

// netbox builds the event of a NetBox webhook body. The bytes of data,
// snapshots, request and context are kept as they are.
func (m *bodyMembers) netbox() (*Event, error) {
	ev, err := m.netboxEvent()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return ev, nil
}

func (m *bodyMembers) netboxEvent() (*Event, error) {
	if m.unknown != "" || m.raw[keyEventType] != nil {
		k := m.unknown
		if k == "" {
			k = bodyKeys[keyEventType]
		}
		return nil, fmt.Errorf("unknown key %q (a NetBox body has %s)", k, strings.Join(netboxKeys, ", "))
	}
	event, err := m.str(keyEvent)
	if err != nil {
		return nil, err
	}
	eventType := event
	if t, ok := netboxEvents[event]; ok {
		eventType = t
	} else if event == "job_ended" {
		eventType = jobEnded(m.raw[keyData])
	}
	objectType, err := m.str(keyObjectType)
	if err != nil {
		return nil, err
	}
	if objectType == "" {
		model, err := m.str(keyModel)
		if err != nil {
			return nil, err
		}
		if objectType = model; model != "" && !strings.Contains(model, ".") {
			app := appLabel(m.raw[keyData])
			if app == "" {
				return nil, fmt.Errorf("model %q names no app, and data.url none either: add \"object_type\": \"APP.%s\"", model, model)
			}
			objectType = app + "." + model
		}
	}
	if objectType == "" {
		return nil, errors.New(`no "object_type" (or "model")`)
	}
	ev := &Event{ObjectType: objectType, EventType: eventType, Data: nonNull(m.raw[keyData]), Context: nonNull(m.raw[keyContext])}
	timestamp, err := m.str(keyTimestamp)
	if err != nil {
		return nil, err
	}
	if len(timestamp) > 10 && timestamp[10] == ' ' {
		// Python's str(datetime), as NetBox's docs show it.
		timestamp = timestamp[:10] + "T" + timestamp[11:]
	}
	if err := ev.setTimestamp(timestamp); err != nil {
		return nil, err
	}
	if ev.Username, err = m.str(keyUsername); err != nil {
		return nil, err
	}
	requestID, err := m.str(keyRequestID)
	if err != nil {
		return nil, err
	}
	if ev.Request, err = parseRequest(m.raw[keyRequest]); err != nil {
		return nil, err
	}
	if ev.Request == nil && requestID != "" {
		id, err := uuid.Parse(requestID)
		if err != nil {
			return nil, fmt.Errorf("request_id: %v", err)
		}
		ev.Request = &Request{ID: id, User: ev.Username}
	}
	if ev.Snapshots, err = parseSnapshots(m.raw[keySnapshots]); err != nil {
		return nil, err
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
