package relay

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// Relay accepts, stores and delivers webhooks; see the package doc.
type Relay struct {
	reloadErr    atomic.Pointer[error] // the last reload's failure, nil once one succeeds
	cfg          *Config
	enricher     *wasmhook.Enricher
	queue        queue.Queue
	logger       *slog.Logger
	metrics      *metrics
	sources      map[string]source
	destinations []*destination // in name order
	console      consoleState   // console_hooks.go
}

type source struct {
	secret string // "" for an unsigned source
}

// destination is a configured destination with its secrets resolved.
type destination struct {
	Destination
	name         string
	netboxSecret string
	standardKey  []byte
	objectTypes  map[string]bool
	events       map[string]bool
	wake         chan struct{} // a new event may be due
}

// New makes a relay over an enricher and a queue; cfg has been read by
// ReadConfig. The relay owns neither: the caller closes them.
func New(cfg *Config, e *wasmhook.Enricher, q queue.Queue, logger *slog.Logger) (*Relay, error) {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Relay{cfg: cfg, enricher: e, queue: q, logger: logger, sources: map[string]source{}, metrics: newMetrics(q)}
	for name, s := range cfg.Sources {
		var src source
		if s.Secret.IsSet() {
			v, err := s.Secret.Resolve()
			if err != nil {
				return nil, fmt.Errorf("sources.%s.secret: %w", name, err)
			}
			src.secret = v
		}
		r.sources[name] = src
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Destinations)) {
		d := &destination{Destination: cfg.Destinations[name], name: name, wake: make(chan struct{}, 1)}
		if d.Sign.NetBox.IsSet() {
			v, err := d.Sign.NetBox.Resolve()
			if err != nil {
				return nil, fmt.Errorf("destinations.%s.sign.netbox: %w", name, err)
			}
			d.netboxSecret = v
		}
		if d.Sign.Standard.IsSet() {
			v, err := d.Sign.Standard.Resolve()
			if err == nil {
				d.standardKey, err = StandardKey(v)
			}
			if err != nil {
				return nil, fmt.Errorf("destinations.%s.sign.standard: %w", name, err)
			}
		}
		d.objectTypes = set(d.Filter.ObjectTypes)
		d.events = set(d.Filter.Events)
		r.destinations = append(r.destinations, d)
	}
	r.console.init(slices.Sorted(maps.Keys(cfg.Destinations)))
	return r, nil
}

func set(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

// passes reports whether the destination's filter lets ev through.
func (d *destination) passes(ev *wasmhook.Event) bool {
	return (d.objectTypes == nil || d.objectTypes[ev.ObjectType]) &&
		(d.events == nil || d.events[wasmhook.EventName(ev.EventType)])
}

// Handler serves the relay's HTTP API: POST /hooks/{source}, GET
// /healthz (alive), GET /readyz (the queue answers and the last module
// reload did not fail) and GET /metrics (Prometheus). At most cfg.Server.MaxConcurrent requests
// are handled at once; one that cannot start within ReadHeaderTimeout
// gets 503, so that a flood is refused quickly rather than queued.
func (r *Relay) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{source}", r.accept)
	mux.HandleFunc("POST /events", r.accept)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", r.ready)
	mux.Handle("GET /metrics", r.metrics.handler())
	for pattern, h := range r.console.mounts {
		mux.Handle(pattern, h)
	}
	slots := make(chan struct{}, r.cfg.Server.MaxConcurrent)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		t := time.NewTimer(r.cfg.Server.ReadHeaderTimeout)
		defer t.Stop()
		select {
		case slots <- struct{}{}:
		case <-t.C:
			r.refuse(w, "", http.StatusServiceUnavailable, "busy", "too many requests at once; try again")
			return
		case <-req.Context().Done():
			return
		}
		defer func() { <-slots }()
		mux.ServeHTTP(w, req)
	})
}

// ready answers GET /readyz: 200 "ready", or 503 and why not.
func (r *Relay) ready(w http.ResponseWriter, req *http.Request) {
	if _, err := r.queue.Stats(req.Context()); err != nil {
		http.Error(w, "not ready: the queue: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if p := r.reloadErr.Load(); p != nil {
		http.Error(w, "not ready: the last module reload failed (the previous modules serve on): "+(*p).Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// ReloadDone records a module reload's outcome for /readyz: a failure
// shows there until a reload succeeds.
func (r *Relay) ReloadDone(err error) {
	if err == nil {
		r.reloadErr.Store(nil)
		return
	}
	r.reloadErr.Store(&err)
}
