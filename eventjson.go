package wasmhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// eventJSON is the JSON form of an Event, as files and queues carry it.
type eventJSON struct {
	ObjectType string          `json:"object_type"`
	EventType  string          `json:"event_type"`
	Timestamp  string          `json:"timestamp"`
	Username   string          `json:"username"`
	Data       json.RawMessage `json:"data"`
	Request    *struct {
		ID      string                     `json:"id"`
		Method  string                     `json:"method"`
		Path    string                     `json:"path"`
		User    string                     `json:"user"`
		Headers map[string]json.RawMessage `json:"headers"`
	} `json:"request"`
	Snapshots *struct {
		Prechange  json.RawMessage `json:"prechange"`
		Postchange json.RawMessage `json:"postchange"`
	} `json:"snapshots"`
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
func (ev *Event) UnmarshalJSON(b []byte) error {
	var j eventJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	*ev = Event{ObjectType: j.ObjectType, EventType: j.EventType, Username: j.Username, Data: j.Data}
	if isNull(ev.Data) {
		ev.Data = nil
	}
	if j.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339Nano, j.Timestamp)
		if err != nil {
			return fmt.Errorf("%w: timestamp: %v", ErrInvalidEvent, err)
		}
		ev.Timestamp = ts
	}
	if r := j.Request; r != nil {
		req := &Request{Method: r.Method, Path: r.Path, User: r.User}
		if r.ID != "" {
			id, err := uuid.Parse(r.ID)
			if err != nil {
				return fmt.Errorf("%w: request.id: %v", ErrInvalidEvent, err)
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
					return fmt.Errorf("%w: request.headers.%s: want a string or a list of strings", ErrInvalidEvent, name)
				}
			}
		}
		ev.Request = req
	}
	if s := j.Snapshots; s != nil {
		ev.Snapshots = &Snapshots{Prechange: s.Prechange, Postchange: s.Postchange}
		if isNull(s.Prechange) {
			ev.Snapshots.Prechange = nil
		}
		if isNull(s.Postchange) {
			ev.Snapshots.Postchange = nil
		}
	}
	return nil
}

func isNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }
