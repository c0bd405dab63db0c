// Package console is the operator's console of wasmhook serve: web pages
// under /console/ that show what the relay received, what each callback
// made of it and what each destination answered, and that replay dead
// deliveries. Its user is the command (cmd/wasmhook), which mounts it on
// the relay when the configuration gives an admin token.
//
// The pages are html/template with their stylesheet embedded; they work
// without JavaScript and carry none. Every page but the login form needs
// the admin token: as Authorization: Bearer TOKEN (for scripts), or as
// the session cookie the login form sets (Secure, HttpOnly,
// SameSite=Strict). Actions are POSTs that carry a token tied to the
// session (CSRF), and every answer forbids inline scripts, framing and
// foreign form targets (Content-Security-Policy).
package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook/relay"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure a Console.
type Options struct {
	// Token is the admin token (resolved). Required.
	Token string
	// Session is how long a login lasts; 12 h when 0.
	Session time.Duration
	// Logger logs logins and actions; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// Console serves the console's pages; mount it under "/console/".
type Console struct {
	relay   *relay.Relay
	opts    Options
	key     []byte // signs sessions and CSRF tokens; made from the token
	tmpl    map[string]*template.Template
	cssHash string // busts the stylesheet's cache when it changes
	mux     *http.ServeMux
}

// Prefix is the path the console is served under.
const Prefix = "/console/"

// cookieName is the session cookie's name.
const cookieName = "wasmhook_console"

// New makes the console of r.
func New(r *relay.Relay, opts Options) (*Console, error) {
	if len(opts.Token) == 0 {
		return nil, errors.New("console: no admin token")
	}
	if opts.Session <= 0 {
		opts.Session = 12 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The signing key derives from the token: changing the token ends
	// every session.
	mac := hmac.New(sha256.New, []byte(opts.Token))
	mac.Write([]byte("wasmhook console session key"))
	c := &Console{relay: r, opts: opts, key: mac.Sum(nil)}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	c.cssHash = base64.RawURLEncoding.EncodeToString(sum[:6])

	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", cacheFor(http.FileServerFS(static))))
	mux.HandleFunc("GET /console/login", c.loginForm)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("POST /console/logout", c.must(c.logout))
	mux.HandleFunc("GET /console/{$}", c.must(c.overview))
	mux.HandleFunc("GET /console/deliveries", c.must(c.deliveries))
	mux.HandleFunc("POST /console/deliveries/{id}/replay", c.must(c.replay))
	mux.HandleFunc("GET /console/events/{id}", c.must(c.event))
	mux.HandleFunc("GET /console/dead", c.must(c.dead))
	mux.HandleFunc("POST /console/dead/replay", c.must(c.replayDead))
	mux.HandleFunc("POST /console/dead/purge", c.must(c.purgeDead))
	mux.HandleFunc("GET /console/modules", c.must(c.modules))
	mux.HandleFunc("GET /console/try", c.must(c.tryForm))
	mux.HandleFunc("POST /console/try", c.must(c.try))
	mux.HandleFunc("/console/", c.must(c.notFound))
	c.mux = mux
	return c, nil
}

// ServeHTTP serves the console, with the headers every answer carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	// No script at all, styles from the console's own stylesheet, forms
	// posting to the console only, never in a frame.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, req)
}

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400") // its URL names its content
		h.ServeHTTP(w, req)
	})
}

// session is how a request proved it holds the token.
type session struct {
	cookie string // the session cookie's value; "" for a bearer token
}

// handler is a page or an action of a logged-in operator.
type handler func(w http.ResponseWriter, req *http.Request, s session)

// must runs h for a request that holds the token. Other requests go to
// the login form (GETs) or get 401/403. A POST made with the session
// cookie must carry the session's CSRF token and come from the
// console's own pages.
func (c *Console) must(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var s session
		if auth := req.Header.Get("Authorization"); auth != "" {
			// A script's token: no cookie involved, so no CSRF.
			tok, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || !c.tokenMatches(tok) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="wasmhook console"`)
				c.errorPage(w, req, http.StatusUnauthorized, "Authorization: Bearer with the admin token, or log in.")
				return
			}
		} else if ck, err := req.Cookie(cookieName); err == nil && c.sessionValid(ck.Value) {
			s.cookie = ck.Value
			if req.Method == http.MethodPost && !c.csrfValid(req, s) {
				c.errorPage(w, req, http.StatusForbidden, "This form is out of date or did not come from the console; reload the page and try again.")
				return
			}
		} else {
			if req.Method != http.MethodGet && req.Method != http.MethodHead {
				c.errorPage(w, req, http.StatusUnauthorized, "Log in first.")
				return
			}
			http.Redirect(w, req, "/console/login?next="+urlQueryEscape(req.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, req, s)
	}
}

// tokenMatches compares in constant time, over hashes so that the
// token's length does not show either.
func (c *Console) tokenMatches(tok string) bool {
	a := sha256.Sum256([]byte(tok))
	b := sha256.Sum256([]byte(c.opts.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (c *Console) sign(parts ...string) string {
	mac := hmac.New(sha256.New, c.key)
	for _, p := range parts {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// newSession is a session cookie's value: its expiry and a signature.
func (c *Console) newSession() (value string, expires time.Time) {
	expires = c.opts.Now().Add(c.opts.Session)
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + c.sign("session", exp), expires
}

func (c *Console) sessionValid(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || c.opts.Now().Unix() >= n {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(c.sign("session", exp)))
}

// csrfToken is the token a session's forms carry.
func (c *Console) csrfToken(s session) string {
	if s.cookie == "" {
		return ""
	}
	return c.sign("csrf", s.cookie)
}

// csrfValid checks a POST made with the session cookie: the form's
// token, and the browser's word that the form is the console's own
// (Sec-Fetch-Site, where the browser sends it).
func (c *Console) csrfValid(req *http.Request, s session) bool {
	if site := req.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	got := req.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(c.csrfToken(s)))
}

func (c *Console) loginForm(w http.ResponseWriter, req *http.Request) {
	c.render(w, req, http.StatusOK, "login", session{}, loginView{Next: safeNext(req.URL.Query().Get("next"))})
}

func (c *Console) login(w http.ResponseWriter, req *http.Request) {
	req.Body = http.MaxBytesReader(w, req.Body, 64<<10)
	next := safeNext(req.PostFormValue("next"))
	if site := req.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		c.errorPage(w, req, http.StatusForbidden, "The login form must be the console's own.")
		return
	}
	if !c.tokenMatches(req.PostFormValue("token")) {
		c.opts.Logger.Warn("wasmhook console: a login with a wrong token", "remote", req.RemoteAddr)
		c.render(w, req, http.StatusUnauthorized, "login", session{}, loginView{Next: next, Failed: true})
		return
	}
	v, expires := c.newSession()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: v, Path: Prefix, Expires: expires,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.opts.Logger.Info("wasmhook console: logged in", "remote", req.RemoteAddr)
	http.Redirect(w, req, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, req *http.Request, _ session) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, req, "/console/login", http.StatusSeeOther)
}

// safeNext is where a login goes next: a console page, never elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return Prefix
	}
	return next
}

func (c *Console) notFound(w http.ResponseWriter, req *http.Request, s session) {
	c.errorPageS(w, req, s, http.StatusNotFound, "No such page.")
}

type errorView struct {
	Status  int
	Message string
}

func (c *Console) errorPage(w http.ResponseWriter, req *http.Request, status int, msg string) {
	c.errorPageS(w, req, session{}, status, msg)
}

func (c *Console) errorPageS(w http.ResponseWriter, req *http.Request, s session, status int, msg string) {
	c.render(w, req, status, "error", s, errorView{Status: status, Message: msg})
}

// failed answers a request whose page could not be made.
func (c *Console) failed(w http.ResponseWriter, req *http.Request, s session, what string, err error) {
	c.opts.Logger.Error("wasmhook console: "+what, "path", req.URL.Path, "error", err)
	c.errorPageS(w, req, s, http.StatusInternalServerError, fmt.Sprintf("%s: %v", what, err))
}
