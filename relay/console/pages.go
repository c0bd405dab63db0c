package console

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/queue"
)

// pageSize is how many deliveries a list shows at once.
const pageSize = 50

type loginView struct {
	Next   string
	Failed bool
}

// overviewView is the overview page.
type overviewView struct {
	Stats     queue.Stats
	StatsErr  error
	OldestAge time.Duration
	Activity  relay.Activity
	HourChart chart
	HourAtt   chart
	DayChart  chart
	DayAtt    chart
	Reload    relay.ReloadInfo
	Started   time.Time
	QueueName string
	Callbacks int
}

func (c *Console) overview(w http.ResponseWriter, req *http.Request, s session) {
	v := overviewView{Activity: c.relay.Activity(), QueueName: c.relay.Config().QueueName()}
	v.Stats, v.StatsErr = c.relay.Queue().Stats(req.Context())
	if !v.Stats.OldestPending.IsZero() {
		v.OldestAge = c.opts.Now().Sub(v.Stats.OldestPending)
	}
	v.Reload, v.Started = c.relay.LastReload()
	v.Callbacks = len(c.relay.Enricher().Callbacks())
	v.HourChart = countsChart("Events received per minute, last hour", v.Activity.Minutes, received)
	v.HourAtt = countsChart("Delivery attempts per minute, last hour: delivered, retried, dead", v.Activity.Minutes, attempts)
	v.DayChart = countsChart("Events received per quarter hour, last day", v.Activity.Quarters, received)
	v.DayAtt = countsChart("Delivery attempts per quarter hour, last day: delivered, retried, dead", v.Activity.Quarters, attempts)
	c.render(w, req, http.StatusOK, "overview", s, v)
}

// deliveriesView is the deliveries page (and, with Dead set, the dead
// deliveries page).
type deliveriesView struct {
	Filter       filterForm
	Rows         []queue.Delivery
	First, Next  string // the first and the next page's URLs ("" for no next page)
	Destinations []string
	EventTypes   []string
	States       []string
	SearchedBy   string // "event id" or "request id" when Filter.Q matched
	// Partial: the page stopped looking at delivery StoppedAt before it
	// found a page's worth (queue.Page.Partial).
	Partial   bool
	StoppedAt string
	Dead      int64
	Replayed  string
	Purged    string
}

// filterForm is a list's filters as the URL gives them.
type filterForm struct {
	State, Destination, ObjectType, Event, Q, After string
}

// the raw event types NetBox sends.
var eventTypes = []string{"object_created", "object_updated", "object_deleted", "job_started", "job_completed", "job_failed", "job_errored"}

func formOf(req *http.Request) filterForm {
	q := req.URL.Query()
	return filterForm{State: q.Get("state"), Destination: q.Get("destination"), ObjectType: q.Get("object_type"),
		Event: q.Get("event"), Q: q.Get("q"), After: q.Get("after")}
}

// list lists a page of the deliveries f selects, newest first; a search
// term is an event id, or else a request id.
func (c *Console) list(ctx context.Context, f filterForm, dead bool) (queue.Page, string, error) {
	qf := queue.Filter{State: queue.State(f.State), Destination: f.Destination, ObjectType: f.ObjectType, EventType: f.Event,
		After: f.After, Newest: true, Limit: pageSize}
	if dead {
		qf.State = queue.Dead
	}
	searched := ""
	if f.Q != "" {
		one, err := c.relay.Queue().List(ctx, queue.Filter{EventID: f.Q, Limit: 1})
		if err != nil {
			return queue.Page{}, "", err
		}
		if len(one) > 0 {
			qf.EventID, searched = f.Q, "event id"
		} else {
			qf.RequestID, searched = f.Q, "request id"
		}
	}
	page, err := c.relay.Queue().ListPage(ctx, qf)
	if errors.Is(err, queue.ErrNotFound) && f.After != "" {
		return queue.Page{}, searched, nil // a page past a bad cursor is empty
	}
	return page, searched, err
}

func (c *Console) deliveries(w http.ResponseWriter, req *http.Request, s session) {
	c.listPage(w, req, s, false)
}

func (c *Console) dead(w http.ResponseWriter, req *http.Request, s session) {
	c.listPage(w, req, s, true)
}

func (c *Console) listPage(w http.ResponseWriter, req *http.Request, s session, dead bool) {
	f := formOf(req)
	page, searched, err := c.list(req.Context(), f, dead)
	if err != nil {
		c.failed(w, req, s, "listing deliveries", err)
		return
	}
	v := deliveriesView{Filter: f, Rows: page.Deliveries, SearchedBy: searched, EventTypes: eventTypes, Partial: page.Partial,
		States:   []string{string(queue.Pending), string(queue.Delivered), string(queue.Dead)},
		Replayed: req.URL.Query().Get("replayed"), Purged: req.URL.Query().Get("purged")}
	for name := range c.relay.Config().Destinations {
		v.Destinations = append(v.Destinations, name)
	}
	slices.Sort(v.Destinations)
	name := "deliveries"
	link := func(after string) string {
		return "/console/" + name + query("state", f.State, "destination", f.Destination, "object_type", f.ObjectType, "event", f.Event, "q", f.Q, "after", after)
	}
	if dead {
		name = "dead"
		link = func(after string) string { return "/console/dead" + query("after", after) }
	}
	v.First = link("")
	if page.Next != "" {
		v.Next = link(page.Next)
	}
	if page.Partial {
		v.StoppedAt = page.Next
	}
	if dead {
		if st, err := c.relay.Queue().Stats(req.Context()); err == nil {
			v.Dead = st.Dead
		}
	}
	c.render(w, req, http.StatusOK, name, s, v)
}

// eventView is one event's page.
type eventView struct {
	Event      *queue.Event
	Raw        bool
	Body       string
	Payload    string
	Context    []keyRow
	Callbacks  []relay.CallbackReport
	ReportErr  error
	Deliveries []deliveryView
	Replayed   bool
}

type deliveryView struct {
	queue.Delivery
	List []attemptView // its attempts, oldest first
}

type attemptView struct {
	queue.Attempt
	N int
	// Next is when the delivery's next attempt is due: set on the last
	// attempt of a pending delivery.
	Next time.Time
}

// keyRow is one key of an enriched payload's context and who set it.
type keyRow struct {
	Key   string
	Value string
	// SetBy is the callback whose value the payload holds; Event when it
	// is the event's own context (NetBox's callbacks).
	SetBy string
	Event bool
	// Overrode are the earlier setters whose value it replaced ("" for
	// the event's own context).
	Overrode []string
	// Unknown: the report does not say (an event stored before reports
	// listed keys).
	Unknown bool
}

func (c *Console) event(w http.ResponseWriter, req *http.Request, s session) {
	id := req.PathValue("id")
	ev, ds, attempts, err := c.relay.Queue().Event(req.Context(), id)
	if errors.Is(err, queue.ErrNotFound) {
		c.errorPageS(w, req, s, http.StatusNotFound, "No event "+id+" in the queue (it may have been purged).")
		return
	}
	if err != nil {
		c.failed(w, req, s, "reading event "+id, err)
		return
	}
	v := &eventView{Event: ev, Raw: req.URL.Query().Get("raw") != "", Payload: indentJSON(ev.Payload), Replayed: req.URL.Query().Get("replayed") != ""}
	v.Body = string(ev.Body)
	if !v.Raw {
		v.Body = indentJSON(ev.Body)
	}
	rep, err := relay.ParseReport(ev.Report)
	v.Callbacks, v.ReportErr = rep.Callbacks, err
	v.Context = attribute(ev.Body, ev.Payload, rep)
	for _, d := range ds {
		dv := deliveryView{Delivery: d}
		for i, a := range attempts[d.ID] {
			dv.List = append(dv.List, attemptView{Attempt: a, N: i + 1})
		}
		if n := len(dv.List); n > 0 && d.State == queue.Pending {
			dv.List[n-1].Next = d.NextAttempt
		}
		v.Deliveries = append(v.Deliveries, dv)
	}
	c.render(w, req, http.StatusOK, "event", s, v)
}

// attribute marks each key of payload's context with the callback that
// set it, from the report's keys, and the earlier setters it replaced:
// the event's own context (in body) first, then the callbacks in load
// order.
func attribute(body, payload []byte, rep relay.Report) []keyRow {
	own := map[string]bool{}
	if ev, err := wasmhook.ParseEvent(body); err == nil {
		for _, m := range members(ev.Context) {
			own[m.Key] = true
		}
	}
	setters := map[string][]string{}
	listed := false
	for _, cb := range rep.Callbacks {
		for _, k := range cb.Keys {
			setters[k] = append(setters[k], cb.Name)
			listed = true
		}
	}
	var rows []keyRow
	for _, m := range members(field(payload, "context")) {
		row := keyRow{Key: m.Key, Value: short(string(m.Value), 300)}
		by := setters[m.Key]
		if own[m.Key] {
			by = append([]string{""}, by...)
		}
		switch {
		case len(by) == 0:
			row.Unknown = !listed
			row.Event = listed // listed keys leave only the event's own
		case by[len(by)-1] == "":
			row.Event = true
		default:
			row.SetBy = by[len(by)-1]
		}
		if len(by) > 1 {
			row.Overrode = by[:len(by)-1]
		}
		rows = append(rows, row)
	}
	return rows
}

func (c *Console) replay(w http.ResponseWriter, req *http.Request, s session) {
	id := req.PathValue("id")
	back := safeNext(req.PostFormValue("back"))
	err := c.relay.Replay(req.Context(), id)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		c.errorPageS(w, req, s, http.StatusNotFound, "No delivery "+id+".")
		return
	case errors.Is(err, queue.ErrNotDead):
		c.errorPageS(w, req, s, http.StatusConflict, "Delivery "+id+" is not dead: it is delivered or will be tried again.")
		return
	case err != nil:
		c.failed(w, req, s, "replaying delivery "+id, err)
		return
	}
	c.opts.Logger.Info("wasmhook console: a dead delivery replayed", "delivery", id)
	http.Redirect(w, req, withParam(back, "replayed", id), http.StatusSeeOther)
}

func (c *Console) replayDead(w http.ResponseWriter, req *http.Request, s session) {
	n, err := c.relay.ReplayDead(req.Context())
	if err != nil {
		c.failed(w, req, s, "replaying the dead deliveries", err)
		return
	}
	c.opts.Logger.Info("wasmhook console: every dead delivery replayed", "deliveries", n)
	http.Redirect(w, req, "/console/dead?replayed="+strconv.Itoa(n), http.StatusSeeOther)
}

func (c *Console) purgeDead(w http.ResponseWriter, req *http.Request, s session) {
	if req.PostFormValue("confirm") != "yes" {
		c.errorPageS(w, req, s, http.StatusBadRequest, "Tick the box to confirm: purging deletes the dead deliveries for good.")
		return
	}
	n, err := c.relay.Queue().PurgeDead(req.Context())
	if err != nil {
		c.failed(w, req, s, "purging the dead deliveries", err)
		return
	}
	c.opts.Logger.Info("wasmhook console: dead deliveries purged", "deliveries", n)
	http.Redirect(w, req, "/console/dead?purged="+strconv.Itoa(n), http.StatusSeeOther)
}

// withParam adds name=value to a console URL.
func withParam(u, name, value string) string {
	sep := "?"
	if bytes.ContainsRune([]byte(u), '?') {
		sep = "&"
	}
	return u + sep + name + "=" + urlQueryEscape(value)
}

// modulesView is the modules page.
type modulesView struct {
	Modules []moduleView
	Reload  relay.ReloadInfo
	Started time.Time
	Config  *relay.Config
	Sources []sourceView
	Dests   []destView
}

type moduleView struct {
	wasmhook.CallbackStats
	File    string
	Size    int64
	Imports []string
	WASI    []string
	ReadErr string
}

type sourceView struct {
	Name string
	relay.Source
}

type destView struct {
	Name string
	relay.Destination
}

func (c *Console) modules(w http.ResponseWriter, req *http.Request, s session) {
	e := c.relay.Enricher()
	files := map[string]string{}
	for _, cb := range e.Callbacks() {
		files[cb.Name] = cb.File
	}
	v := modulesView{Config: c.relay.Config()}
	v.Reload, v.Started = c.relay.LastReload()
	for _, st := range e.Stats() {
		m := moduleView{CallbackStats: st, File: files[st.Name]}
		if m.File != "" {
			if fi, err := os.Stat(m.File); err == nil {
				m.Size = fi.Size()
			}
			imports, err := moduleImports(m.File)
			if err != nil {
				m.ReadErr = err.Error()
			}
			for _, im := range imports {
				if im.Module == "wasi_snapshot_preview1" {
					m.WASI = append(m.WASI, im.Name)
				} else {
					m.Imports = append(m.Imports, im.Module+"."+im.Name)
				}
			}
		}
		v.Modules = append(v.Modules, m)
	}
	for _, name := range sortedKeys(v.Config.Sources) {
		v.Sources = append(v.Sources, sourceView{name, v.Config.Sources[name]})
	}
	for _, name := range sortedKeys(v.Config.Destinations) {
		v.Dests = append(v.Dests, destView{name, v.Config.Destinations[name]})
	}
	c.render(w, req, http.StatusOK, "modules", s, v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tryView is the try page, with a trial's outcome once one is posted.
type tryView struct {
	Input     string
	Err       string
	Trial     *relay.Trial
	EnrichErr string
	Payload   string
	Context   []keyRow
	Callbacks []relay.CallbackReport
	MaxBody   string
}

func (c *Console) tryForm(w http.ResponseWriter, req *http.Request, s session) {
	c.render(w, req, http.StatusOK, "try", s, tryView{MaxBody: c.relay.Config().MaxBody.String()})
}

func (c *Console) try(w http.ResponseWriter, req *http.Request, s session) {
	max := int64(c.relay.Config().MaxBody)
	v := tryView{MaxBody: c.relay.Config().MaxBody.String()}
	// The form is multipart (it may carry a file) or urlencoded; the
	// body is bounded by max_body and room for the form around it.
	req.Body = http.MaxBytesReader(w, req.Body, 2*max+64<<10)
	var body []byte
	if err := req.ParseMultipartForm(max + 64<<10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		c.errorPageS(w, req, s, http.StatusRequestEntityTooLarge, "The event is larger than max_body ("+v.MaxBody+") or the form is malformed.")
		return
	}
	if f, _, err := req.FormFile("file"); err == nil {
		body, err = io.ReadAll(io.LimitReader(f, max+1))
		f.Close()
		if err != nil {
			c.failed(w, req, s, "reading the uploaded file", err)
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte(req.PostFormValue("event"))
	}
	v.Input = string(body)
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		v.Err = "Paste an event or choose a file."
	case int64(len(body)) > max:
		v.Err = "The event is larger than max_body (" + v.MaxBody + ")."
	default:
		t, err := c.relay.Try(req.Context(), body)
		if err != nil {
			v.Err = err.Error()
			break
		}
		v.Trial = t
		if t.Err != nil {
			v.EnrichErr = t.Err.Error()
		}
		if t.Result.Payload != nil {
			v.Payload = indentJSON(t.Result.Payload)
		}
		rep, _ := relay.ParseReport(t.Report)
		v.Callbacks = rep.Callbacks
		v.Context = attribute(body, t.Result.Payload, rep)
	}
	c.render(w, req, http.StatusOK, "try", s, v)
}
