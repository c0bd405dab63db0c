package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// ConsoleConfig is the operator's console (the console: key), served
// under /console/ by wasmhook serve. It is off unless Token is set.
//
//	console: {token: {env: WASMHOOK_ADMIN_TOKEN}}
type ConsoleConfig struct {
	// Token is the admin token: the console's login form asks for it,
	// and scripts send it as Authorization: Bearer TOKEN. At least 16
	// characters (openssl rand -hex 16 makes one). Unset, the console is
	// off.
	Token Secret `yaml:"token"`
	// Session is how long a login lasts. Default 12h.
	Session time.Duration `yaml:"session"`
}

// minTokenLen is the shortest admin token accepted: a short one could be
// guessed.
const minTokenLen = 16

// Enabled reports whether the console is on.
func (c ConsoleConfig) Enabled() bool { return c.Token.IsSet() }

func (c *ConsoleConfig) check() error {
	if c.Session == 0 {
		c.Session = 12 * time.Hour
	}
	if c.Session < 0 {
		return errors.New("console.session: want a positive duration")
	}
	if !c.Token.IsSet() {
		return nil
	}
	if err := c.Token.resolve(); err != nil {
		return fmt.Errorf("console.token: %w", err)
	}
	if len(c.Token.resolved) < minTokenLen {
		return fmt.Errorf("console.token: shorter than %d characters; make a longer one (openssl rand -hex 16)", minTokenLen)
	}
	return nil
}

// consoleState is what the relay keeps for the console.
type consoleState struct {
	started  time.Time
	activity *activity
	reload   atomic.Pointer[ReloadInfo]
	mounts   map[string]http.Handler
}

func (s *consoleState) init(destinations []string) {
	s.started = time.Now()
	s.activity = newActivity(destinations)
	s.mounts = map[string]http.Handler{}
}

// Mount serves h under pattern (an http.ServeMux pattern, such as
// "/console/") beside the relay's own endpoints, within the same limits.
// Call it before Handler.
func (r *Relay) Mount(pattern string, h http.Handler) { r.console.mounts[pattern] = h }

// Queue is the relay's queue.
func (r *Relay) Queue() queue.Queue { return r.queue }

// Enricher is the relay's enricher.
func (r *Relay) Enricher() *wasmhook.Enricher { return r.enricher }

// Config returns the relay's configuration with every secret redacted:
// secrets given by value, passwords and whole paths and queries of URLs
// (a webhook URL's path is often its secret), header values. Secrets
// given by file or environment variable keep the file's or the
// variable's name.
func (r *Relay) Config() *Config { return r.cfg.redacted() }

// Activity returns what this instance counted since it started (at
// most the last day).
func (r *Relay) Activity() Activity { return r.console.activity.snapshot() }

// ReloadInfo is the outcome of the modules' last reload.
type ReloadInfo struct {
	// At is when it ended; zero when the modules have not been reloaded
	// since the start (Started).
	At time.Time
	// Result is what it did (nil when it failed).
	Result *wasmhook.ReloadResult
	// Err is its failure: the previous modules serve on.
	Err error
}

// Reloaded records a module reload's outcome, for the console and for
// /readyz (ReloadDone).
func (r *Relay) Reloaded(res *wasmhook.ReloadResult, err error) {
	r.console.reload.Store(&ReloadInfo{At: time.Now(), Result: res, Err: err})
	r.ReloadDone(err)
}

// LastReload returns the last reload's outcome and when the relay
// started.
func (r *Relay) LastReload() (last ReloadInfo, started time.Time) {
	if p := r.console.reload.Load(); p != nil {
		last = *p
	}
	return last, r.console.started
}

// Replay makes a dead delivery due now and wakes its destination.
func (r *Relay) Replay(ctx context.Context, deliveryID string) error {
	if err := r.queue.Replay(ctx, deliveryID); err != nil {
		return err
	}
	r.wake()
	return nil
}

// ReplayDead makes every dead delivery due now, and returns how many.
func (r *Relay) ReplayDead(ctx context.Context) (int, error) {
	n := 0
	defer r.wake()
	for {
		ds, err := r.queue.List(ctx, queue.Filter{State: queue.Dead, Limit: 500})
		if err != nil || len(ds) == 0 {
			return n, err
		}
		for _, d := range ds {
			if err := r.queue.Replay(ctx, d.ID); err != nil && !errors.Is(err, queue.ErrNotDead) {
				return n, err
			}
			n++
		}
	}
}

// Trial is what the relay makes of an event without delivering it.
type Trial struct {
	Event *wasmhook.Event
	// Result is the enrichment's; its Payload is nil when a callback
	// whose failure policy is fail failed (Err says which).
	Result *wasmhook.Result
	Err    error
	// Report is Result's report as the queue keeps it (ParseReport).
	Report []byte
	// Destinations are those whose filter the event passes.
	Destinations []string
}

// Try parses body as the ingress does (a NetBox body or wasmhook's event
// JSON) and enriches it with the current modules; nothing is stored,
// delivered or counted. The error is the body's (not JSON, not an event);
// an enrichment's failure is in the Trial.
func (r *Relay) Try(ctx context.Context, body []byte) (*Trial, error) {
	ev, err := wasmhook.ParseEvent(body)
	if err != nil {
		return nil, err
	}
	res, err := r.enricher.Enrich(ctx, ev)
	if res == nil && err != nil {
		return nil, err
	}
	return &Trial{Event: ev, Result: res, Err: err, Report: reportJSON(res), Destinations: r.destinationsFor(ev)}, nil
}

// Report is an event's enrichment report as the queue keeps it
// (queue.Event.Report).
type Report struct {
	Callbacks []CallbackReport `json:"callbacks"`
}

// CallbackReport is one callback's part of a Report.
type CallbackReport struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	TimeNS      int64  `json:"time_ns"`
	OutputBytes int    `json:"output_bytes"`
	// Class is the failure's class (wasmhook.ErrorClass), "" for none.
	Class string `json:"class,omitempty"`
	Error string `json:"error,omitempty"`
	Nest  string `json:"nest,omitempty"`
	// Keys are the context keys it set (wasmhook.Report.Keys).
	Keys      []string         `json:"keys,omitempty"`
	Overwrote []OverwriteEntry `json:"overwrote,omitempty"`
}

// OverwriteEntry is a context key a callback set after Callback (""
// for the event's own context) had set it.
type OverwriteEntry struct {
	Key      string `json:"key"`
	Callback string `json:"callback"`
}

// ParseReport reads a queued event's report.
func ParseReport(b []byte) (Report, error) {
	var rep Report
	if len(b) == 0 {
		return rep, nil
	}
	err := json.Unmarshal(b, &rep)
	return rep, err
}

// reportJSON is what the enrichment did, per callback, for operators.
func reportJSON(res *wasmhook.Result) []byte {
	cbs := make([]CallbackReport, len(res.Reports))
	for i, rep := range res.Reports {
		cbs[i] = CallbackReport{Name: rep.Callback, Kind: string(rep.Kind), TimeNS: int64(rep.Duration), OutputBytes: rep.OutputBytes,
			Nest: rep.Nest, Keys: rep.Keys, Class: wasmhook.ErrorClass(rep.Err)}
		if rep.Err != nil {
			cbs[i].Error = rep.Err.Error()
		}
		for _, o := range rep.Overwrote {
			cbs[i].Overwrote = append(cbs[i].Overwrote, OverwriteEntry{o.Key, o.Callback})
		}
	}
	b, _ := json.Marshal(Report{Callbacks: cbs})
	return b
}

// redacted is a copy of c with every secret redacted (Relay.Config).
func (c *Config) redacted() *Config {
	out := *c
	out.Queue = c.QueueName()
	out.Redis.Password = c.Redis.Password.redacted()
	out.Console.Token = c.Console.Token.redacted()
	out.Sources = map[string]Source{}
	for name, s := range c.Sources {
		s.Secret = s.Secret.redacted()
		out.Sources[name] = s
	}
	out.Destinations = map[string]Destination{}
	for name, d := range c.Destinations {
		d.URL = RedactURL(d.URL)
		headers := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(d.Headers)) {
			headers[k] = "(redacted)"
		}
		d.Headers = headers
		d.Sign.NetBox = d.Sign.NetBox.redacted()
		d.Sign.Standard = d.Sign.Standard.redacted()
		d.Retry = slices.Clone(d.Retry)
		d.Filter.ObjectTypes = slices.Clone(d.Filter.ObjectTypes)
		d.Filter.Events = slices.Clone(d.Filter.Events)
		out.Destinations[name] = d
	}
	return &out
}

// redacted keeps where a secret comes from, not its value.
func (s Secret) redacted() Secret {
	if s.Value != "" {
		return Secret{Value: "(redacted)"}
	}
	return Secret{File: s.File, Env: s.Env}
}

// RedactURL keeps a URL's scheme, host and port: its user's password,
// its path and its query can be secrets.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(redacted)"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		s += "/…"
	}
	return s
}

// attemptError is an attempt's error as the queue keeps it and the log
// and the console show it: without the destination's URL, whose path or
// query can hold a secret (Go's client quotes the whole URL).
func attemptError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + RedactURL(ue.URL) + ": " + ue.Err.Error()
	}
	return err.Error()
}
