package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
		nb, err := wasmhook.ParseNetBoxBody(raw)
		if err != nil {
			// The file is the event here: "invalid event" says nothing more.
			msg := strings.TrimPrefix(err.Error(), wasmhook.ErrInvalidEvent.Error()+": ")
			return nil, fmt.Errorf("event %s (a NetBox webhook body): %s", name, msg)
		}
		nb.Context = nil // the modules make it anew
		ev = nb
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
