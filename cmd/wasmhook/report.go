package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/wasmhook/wasmhook"
)

// callReport is one callback's line of run's --json report.
type callReport struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	File   string `json:"file,omitempty"`
	TimeNS int64  `json:"time_ns"`
	// Time is TimeNS for a person: "24µs".
	Time            string `json:"time"`
	OutputBytes     int    `json:"output_bytes"`
	PeakMemoryBytes uint64 `json:"peak_memory_bytes"`
	ErrorClass      string `json:"error_class,omitempty"`
	Error           string `json:"error,omitempty"`
	// Nest is the context key the output was placed under.
	Nest string `json:"nest,omitempty"`
	// Overwrote are the context keys this callback set again after an
	// earlier callback had set them.
	Overwrote []overwrite `json:"overwrote,omitempty"`
	// Requests, CacheHits and WaitedNS are the call's HTTP lookups.
	Requests  int   `json:"http_requests,omitempty"`
	CacheHits int   `json:"http_cache_hits,omitempty"`
	WaitedNS  int64 `json:"http_waited_ns,omitempty"`
}

// overwrite is a context key set again, and the callback that had set it.
type overwrite struct {
	Key      string `json:"key"`
	Callback string `json:"callback"`
}

// runReport is run's --json report: the payload (null when a callback
// with the fail policy failed) and a line per callback in load order.
type runReport struct {
	Event     string          `json:"event"`
	Payload   json.RawMessage `json:"payload"`
	Callbacks []callReport    `json:"callbacks"`
	Failed    int             `json:"failed"`
}

func newRunReport(e *enricher, event string, res *wasmhook.Result) *runReport {
	rep := &runReport{Event: eventName(event), Payload: json.RawMessage("null"), Callbacks: []callReport{}}
	if res.Payload != nil {
		rep.Payload = res.Payload
	}
	stats := map[string]wasmhook.CallbackStats{}
	for _, st := range e.Stats() {
		stats[st.Name] = st
	}
	files := map[string]string{}
	for _, cb := range e.Callbacks() {
		files[cb.Name] = e.userFile(cb.File)
	}
	for _, r := range res.Reports {
		c := callReport{
			Name:            r.Callback,
			Kind:            string(r.Kind),
			File:            files[r.Callback],
			TimeNS:          int64(r.Duration),
			Time:            r.Duration.Round(time.Microsecond).String(),
			OutputBytes:     r.OutputBytes,
			PeakMemoryBytes: stats[r.Callback].PeakMemoryBytes,
			ErrorClass:      wasmhook.ErrorClass(r.Err),
			Nest:            r.Nest,
			Requests:        r.Requests,
			CacheHits:       r.CacheHits,
			WaitedNS:        int64(r.Waited),
		}
		for _, o := range r.Overwrote {
			c.Overwrote = append(c.Overwrote, overwrite{Key: o.Key, Callback: o.Callback})
		}
		if r.Err != nil {
			c.Error = r.Err.Error()
			rep.Failed++
		}
		rep.Callbacks = append(rep.Callbacks, c)
	}
	return rep
}

// benchReport is bench's --json report.
type benchReport struct {
	Events          int64       `json:"events"`
	Concurrency     int         `json:"concurrency"`
	ElapsedNS       int64       `json:"elapsed_ns"`
	EventsPerSecond float64     `json:"events_per_second"`
	Callbacks       []benchLine `json:"callbacks"`
	Failed          int         `json:"failed"`
}

// benchLine is one callback's line of bench's --json report.
type benchLine struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Calls  int    `json:"calls"`
	Failed int    `json:"failed"`
	P50NS  int64  `json:"p50_ns"`
	P99NS  int64  `json:"p99_ns"`
	// StartNS is the mean time to start an instance.
	StartNS         int64        `json:"start_ns"`
	PeakMemoryBytes uint64       `json:"peak_memory_bytes"`
	MaxOutputBytes  int          `json:"max_output_bytes"`
	Limits          *limitReport `json:"limits,omitempty"`
	// Requests, CacheHits and WaitedNS add up the calls' HTTP lookups.
	Requests  int   `json:"http_requests,omitempty"`
	CacheHits int   `json:"http_cache_hits,omitempty"`
	WaitedNS  int64 `json:"http_waited_ns,omitempty"`
	// ErrorClass and Error are the first failure's.
	ErrorClass string `json:"error_class,omitempty"`
	Error      string `json:"error,omitempty"`
}

type limitReport struct {
	TimeoutNS   int64  `json:"timeout_ns"`
	MemoryBytes uint64 `json:"memory_bytes"`
	OutputBytes uint64 `json:"output_bytes"`
}

// writeJSON writes v and a newline, indented or not, with <, > and & as
// they are (a payload's strings are not HTML).
func writeJSON(w io.Writer, v any, indent bool) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	enc.Encode(v)
}
