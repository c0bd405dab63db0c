package wasmhook

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wasmhook/wasmhook/abi"
	"github.com/wasmhook/wasmhook/internal/jsonraw"
)

// Event is one outbound webhook's event, as NetBox's send_webhook gets it.
type Event struct {
	// ObjectType is "app_label.model", e.g. "dcim.site". Required.
	ObjectType string
	// EventType is the raw type, e.g. "object_updated" or "job_completed".
	// Required. The payload's "event" maps it (see EventName).
	EventType string
	// Data is the object's serialized data, valid JSON. Required. Its bytes
	// reach the payload and the callbacks unchanged.
	Data json.RawMessage
	// Timestamp is the event's time; zero means the time Enrich is called.
	Timestamp time.Time
	// Username is the user who made the change; "" is written as null.
	Username string
	// Request is the request behind the event, nil for none. Its ID is
	// required: it is the payload's request_id.
	Request *Request
	// Snapshots are the object's states before and after the change, nil
	// for none.
	Snapshots *Snapshots
	// Context, when not empty, is a JSON object that starts the payload's
	// context: what NetBox's own webhook callbacks returned, in a body
	// that NetBox posted (ParseNetBoxBody). The callbacks' outputs merge
	// after it. Callbacks do not see it.
	Context json.RawMessage
}

// Request is the HTTP request behind an event.
type Request = abi.Request

// Snapshots are an object's serialized states around a change. A nil
// member is written as null; the bytes of the others pass unchanged.
type Snapshots struct {
	Prechange  json.RawMessage
	Postchange json.RawMessage
}

// validate checks what Enrich needs, naming the field at fault; data
// only when asked (else the caller checks it, after its presence).
func (ev *Event) validate(data bool) error {
	if ev == nil {
		return fmt.Errorf("%w: nil event", ErrInvalidEvent)
	}
	if ev.ObjectType == "" {
		return fmt.Errorf("%w: object_type is empty", ErrInvalidEvent)
	}
	if ev.EventType == "" {
		return fmt.Errorf("%w: event_type is empty", ErrInvalidEvent)
	}
	if !data {
		if len(ev.Data) == 0 {
			return fmt.Errorf("%w: data is missing", ErrInvalidEvent)
		}
	} else if err := validJSON("data", ev.Data, true); err != nil {
		return err
	}
	if len(ev.Context) > 0 {
		if err := validJSON("context", ev.Context, false); err != nil {
			return err
		}
		if !isNull(ev.Context) && jsonraw.Classify(ev.Context) != jsonraw.Object && jsonraw.Classify(ev.Context) != jsonraw.Falsy {
			return fmt.Errorf("%w: context is not a JSON object", ErrInvalidEvent)
		}
	}
	if ev.Request != nil && ev.Request.ID == uuid.Nil {
		// Every NetBox request has an id, and receivers use it to tie
		// webhooks to one change: a zero id would claim a request that
		// no one made.
		return fmt.Errorf("%w: request.id is missing (the nil UUID); set it, or leave Request nil for an event with no request", ErrInvalidEvent)
	}
	if s := ev.Snapshots; s != nil {
		if err := validJSON("snapshots.prechange", s.Prechange, false); err != nil {
			return err
		}
		if err := validJSON("snapshots.postchange", s.Postchange, false); err != nil {
			return err
		}
	}
	return nil
}

func validJSON(field string, b []byte, required bool) error {
	if len(b) == 0 {
		if required {
			return fmt.Errorf("%w: %s is missing", ErrInvalidEvent, field)
		}
		return nil
	}
	if err := jsonraw.Validate(b); err != nil { // UTF-8 included
		if !utf8.Valid(b) {
			return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidEvent, field)
		}
		return fmt.Errorf("%w: %s is not JSON: %v", ErrInvalidEvent, field, err)
	}
	return nil
}

// EventName maps a raw event type to the payload's "event" value the way
// NetBox does: object_created → created, object_updated → updated,
// object_deleted → deleted, job_started → job_started, job_completed,
// job_failed and job_errored → job_ended; any other type passes unchanged.
func EventName(eventType string) string {
	switch eventType {
	case "object_created":
		return "created"
	case "object_updated":
		return "updated"
	case "object_deleted":
		return "deleted"
	case "job_completed", "job_failed", "job_errored":
		return "job_ended"
	}
	return eventType
}
