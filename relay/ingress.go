package relay

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// accept handles POST /hooks/{source} and POST /events (the source named
// "events"): a webhook body as NetBox posts it, or wasmhook's event JSON
// (the command's format, told by its "event_type" key).
// The answer is 202 with the event's id once the event is durable, or a
// one-line JSON error and nothing enqueued: 404 for an unknown source,
// 413 for a body over the limit, 401 for a missing or wrong signature,
// 400 for a body that is not JSON, 422 for one that is not a NetBox
// body, or whose enrichment failed with a callback whose policy is fail.
func (r *Relay) accept(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("source")
	if name == "" {
		name = eventsSource // POST /events
	}
	src, ok := r.sources[name]
	if !ok {
		r.refuse(w, "", http.StatusNotFound, "unknown_source", "no source named "+name)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, int64(r.cfg.MaxBody)))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.refuse(w, name, http.StatusRequestEntityTooLarge, "too_large", "the body is over the limit of "+r.cfg.MaxBody.String())
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.refuse(w, name, http.StatusRequestTimeout, "too_slow", "the body did not arrive within the read timeout")
			return
		}
		r.refuse(w, name, http.StatusBadRequest, "unreadable", "the body could not be read")
		return
	}
	if src.secret != "" && !wasmhook.Verify(src.secret, body, req.Header.Get(wasmhook.SignatureHeader)) {
		r.refuse(w, name, http.StatusUnauthorized, "bad_signature", "missing or wrong "+wasmhook.SignatureHeader)
		return
	}
	ev, err := wasmhook.ParseEvent(body)
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			r.refuse(w, name, http.StatusBadRequest, "not_json", "the body is not JSON")
			return
		}
		r.refuse(w, name, http.StatusUnprocessableEntity, "invalid_event", err.Error())
		return
	}
	start := time.Now()
	res, err := r.enricher.Enrich(req.Context(), ev)
	if res != nil {
		r.metrics.enriched(res, time.Since(start))
		r.console.activity.enriched(res)
	}
	if err != nil {
		status := http.StatusUnprocessableEntity
		if !errors.Is(err, wasmhook.ErrEventFailed) && !errors.Is(err, wasmhook.ErrInvalidEvent) {
			status = http.StatusServiceUnavailable // closing, or the client went away
		}
		r.refuse(w, name, status, "not_enriched", err.Error())
		return
	}
	id, err := uuid.NewV7() // time-ordered: the queue lists events in arrival order
	if err != nil {
		r.refuse(w, name, http.StatusInternalServerError, "internal", "making an id: "+err.Error())
		return
	}
	qev := &queue.Event{
		ID: id.String(), Source: name, Received: time.Now().UTC(),
		ObjectType: ev.ObjectType, EventType: ev.EventType,
		Body: body, Payload: res.Payload, Report: reportJSON(res),
	}
	if ev.Request != nil {
		qev.RequestID = ev.Request.ID.String()
	}
	if err := r.queue.Enqueue(req.Context(), qev, r.destinationsFor(ev)); err != nil {
		r.logger.Error("wasmhook serve: enqueue failed; the event was refused", "source", name, "error", err)
		r.refuse(w, name, http.StatusServiceUnavailable, "not_stored", "the event could not be stored; send it again")
		return
	}
	r.wake()
	r.metrics.received.WithLabelValues(name).Inc()
	r.console.activity.received()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{"id": qev.ID})
}

// eventsSource is the source POST /events belongs to: its secret and
// its name in metrics and in the queue.
const eventsSource = "events"

// refuse answers with status and a one-line JSON error.
// source labels the metric: a configured source's name, or "" (an
// unknown name must not make a new series).
func (r *Relay) refuse(w http.ResponseWriter, source string, status int, code, msg string) {
	r.metrics.rejected.WithLabelValues(source, code).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
}

// destinationsFor lists the destinations whose filter ev passes, in name
// order.
func (r *Relay) destinationsFor(ev *wasmhook.Event) []string {
	var out []string
	for _, d := range r.destinations {
		if d.passes(ev) {
			out = append(out, d.name)
		}
	}
	return out
}
