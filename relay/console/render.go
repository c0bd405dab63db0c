package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook/internal/units"
	"github.com/wasmhook/wasmhook/relay"
)

// pages are the templates, each parsed with the layout.
var pages = []string{"login", "error", "overview", "deliveries", "event", "dead", "modules", "try"}

func (c *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"when":   when,
		"ago":    c.ago,
		"dur":    dur,
		"bytes":  func(n any) string { return units.FormatBytes(toUint(n)) },
		"pct":    pct,
		"query":  query,
		"joined": func(s []string) string { return strings.Join(s, ", ") },
		"plural": func(n any, one, many string) string {
			if toUint(n) == 1 {
				return one
			}
			return many
		},
		"attemptsOf": func(c relay.Counts) int64 { return c.Delivered + c.Retried + c.Dead },
		"statusClass": func(status int) string {
			return strconv.Itoa(status/100) + "xx"
		},
	}
	c.tmpl = map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.New(p).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return fmt.Errorf("console: template %s: %w", p, err)
		}
		c.tmpl[p] = t
	}
	return nil
}

// pageData is what the layout gets; Data is the page's own.
type pageData struct {
	Title    string
	Nav      string
	LoggedIn bool
	CSRF     string
	CSS      string
	Data     any
}

// titles and navigation entries of the pages.
var titles = map[string][2]string{
	"login":      {"Log in", ""},
	"error":      {"Error", ""},
	"overview":   {"Overview", "overview"},
	"deliveries": {"Deliveries", "deliveries"},
	"event":      {"Event", "deliveries"},
	"dead":       {"Dead deliveries", "dead"},
	"modules":    {"Modules", "modules"},
	"try":        {"Try an event", "try"},
}

// render writes page name with data, buffered so that a template error
// does not leave half a page.
func (c *Console) render(w http.ResponseWriter, req *http.Request, status int, name string, s session, data any) {
	pd := pageData{Title: titles[name][0], Nav: titles[name][1], LoggedIn: s.cookie != "", CSRF: c.csrfToken(s),
		CSS: "/console/static/style.css?v=" + c.cssHash, Data: data}
	if ev, ok := data.(*eventView); ok {
		pd.Title = "Event " + ev.Event.ID
	}
	var buf bytes.Buffer
	if err := c.tmpl[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		c.opts.Logger.Error("wasmhook console: rendering a page failed", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// when is a time as the console writes it: UTC, to the millisecond.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

// ago is how long ago t was, roughly.
func (c *Console) ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := c.opts.Now().Sub(t)
	switch {
	case d > -time.Second && d < time.Second:
		return "just now"
	case d < 0:
		return "in " + roughly(-d)
	}
	return roughly(d) + " ago"
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// dur writes a duration with three or four significant digits.
func dur(v any) string {
	var d time.Duration
	switch x := v.(type) {
	case time.Duration:
		d = x
	case int64:
		d = time.Duration(x)
	}
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return d.Round(100 * time.Nanosecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// toUint reads a count of bytes of any integer type (int, int64,
// wasmhook.Bytes...).
func toUint(n any) uint64 {
	v := reflect.ValueOf(n)
	switch {
	case v.CanUint():
		return v.Uint()
	case v.CanInt():
		return uint64(max(v.Int(), 0))
	}
	return 0
}

// pct is part of whole as a percentage, "-" when whole is 0.
func pct(part, whole int64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

// query builds a URL query from pairs of names and values, leaving out
// empty values: the filters of a shareable link.
func query(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// indentJSON indents JSON for reading, keeping its keys' order and its
// numbers' text; what is not JSON is returned as it is.
func indentJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// member is one member of a JSON object, in the object's order.
type member struct {
	Key   string
	Value json.RawMessage
}

// members lists a JSON object's members in order; nil for anything else.
func members(raw []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		out = append(out, member{key, v})
	}
	return out
}

// field is one top-level member's value of a JSON object, nil if none.
func field(raw []byte, key string) json.RawMessage {
	for _, m := range members(raw) {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// short is s cut to n bytes (at a rune's start), with an ellipsis.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
