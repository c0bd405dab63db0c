package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/relay"
	"github.com/wasmhook/wasmhook/relay/console"
)

const serveUsage = `usage: wasmhook serve --config FILE [--set KEY.PATH=VALUE]... [--listen ADDR] [--data-dir DIR] [--modules DIR]

Runs the relay: receives webhooks (POST /hooks/{source}, a NetBox webhook
body), enriches them with the modules of the configured directory (watched:
a change reloads them), stores each in the queue of the data directory and
answers 202 with the event's id once it is stored, then delivers it,
signed, to every destination, retrying on the destination's schedule.
GET /healthz says it is alive, GET /readyz that the queue answers and the
last module reload did not fail.

On SIGTERM or SIGINT it stops accepting, lets the attempts in flight finish
(up to --grace) and exits; what is not delivered stays in the queue for the
next start. The configuration file is documented key by key in README.md.
Any key can also be given, or overridden, with --set (repeatable; the value
is YAML); with --set, --config may be left out. Secrets are better given by
file or environment variable than by value: {file: PATH} or {env: NAME}.

Examples:
  wasmhook serve --config wasmhook-serve.yaml
  wasmhook serve --data-dir /var/lib/wasmhook --modules /etc/wasmhook/modules \
    --set sources.netbox.secret.env=NETBOX_WEBHOOK_SECRET \
    --set destinations.inventory.url=https://inventory.example/hooks/netbox \
    --set 'destinations.inventory.retry=[5s, 1m, 10m]'

Flags:
`

// serveGCPercent is serve's GOGC when the environment sets none.
const serveGCPercent = 400

// serveGrace bounds how long a stopping relay waits for requests and
// attempts in flight.
const serveGrace = 30 * time.Second

func cmdServe(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("serve", serveUsage, io)
	config := fs.String("config", "", "the configuration file (required unless --set gives the configuration)")
	var set stringList
	fs.Var(&set, "set", "KEY.PATH=VALUE: set one key of the configuration, over the file's (repeatable)")
	listen := fs.String("listen", "", "the address to serve on (the key listen)")
	dataDir := fs.String("data-dir", "", "the queue's directory (the key data_dir)")
	modules := fs.String("modules", "", "the modules directory (the key modules)")
	grace := fs.Duration("grace", serveGrace, "how long a stop waits for the requests and attempts in flight")
	logJSON := fs.Bool("log-json", false, "log as JSON lines instead of text")
	if err := fs.parse(args); err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The relay's live heap is small (events pass through; the queue
		// holds them on disk), and at the default GOGC=100 the collector
		// ran so often that it took 15% of the CPU per event: 400 lets
		// the heap grow to five times what is live between collections.
		// GOGC in the environment still decides.
		debug.SetGCPercent(serveGCPercent)
	}
	if *config == "" && len(set) == 0 {
		return hintErr("serve", errors.New("--config is required (or the whole configuration with --set)"))
	}
	for key, v := range map[string]string{"listen": *listen, "data_dir": *dataDir, "modules": *modules} {
		if v != "" {
			set = append(set, key+"="+yamlString(v))
		}
	}
	cfg, err := relay.ReadConfig(*config, set...)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(io.err, nil)
	if *logJSON {
		handler = slog.NewJSONHandler(io.err, nil)
	}
	logger := slog.New(handler)

	q, err := openServeQueue(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer q.Close()
	store, closeStore, err := moduleStore(cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: cfg.Modules, Logger: logger, CompilationCacheDir: filepath.Join(cfg.DataDir, "compilation-cache"),
		ReportKeys: true, // the console shows which callback set each context key
		KV:         store})
	if err != nil {
		return err
	}
	defer e.Close(context.Background())
	r, err := relay.New(cfg, e, q, logger)
	if err != nil {
		return err
	}
	if err := mountConsole(cfg, r, logger); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() {
		if cfg.TLS.Cert != "" {
			serveErr <- srv.ServeTLS(ln, cfg.TLS.Cert, cfg.TLS.Key)
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	deliverCtx, stopDelivering := context.WithCancel(context.Background())
	delivered := make(chan struct{})
	go func() { r.Run(deliverCtx); close(delivered) }()
	if cfg.Modules != "" {
		go func() {
			err := e.Watch(deliverCtx, wasmhook.WatchOptions{OnReload: r.Reloaded})
			if err != nil && deliverCtx.Err() == nil && !errors.Is(err, wasmhook.ErrClosed) {
				// Not watched: changes need a restart. /readyz says so.
				logger.Error("wasmhook serve: the modules directory cannot be watched; changes to it need a restart", "error", err)
				r.ReloadDone(fmt.Errorf("not watching the modules directory: %w", err))
			}
		}()
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	logger.Info("wasmhook serve: listening", "url", scheme+"://"+ln.Addr().String(), "data_dir", cfg.DataDir, "queue", cfg.QueueName(), "modules", cfg.Modules, "destinations", len(cfg.Destinations))

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopDelivering()
		<-delivered
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("wasmhook serve: stopping; attempts in flight finish", "grace", *grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	srv.Shutdown(shutdownCtx)
	stopDelivering()
	select {
	case <-delivered:
	case <-shutdownCtx.Done():
		logger.Warn("wasmhook serve: attempts still in flight at the end of the grace period; they will be sent again")
	}
	logger.Info("wasmhook serve: stopped")
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// yamlString quotes s as a YAML string, so that a flag's value is taken
// as it is (a path like "no" or "1e3" stays a string).
func yamlString(s string) string {
	b, _ := json.Marshal(s) // JSON strings are YAML strings
	return string(b)
}

// mountConsole serves the operator's console under /console/ when the
// configuration gives it a token.
func mountConsole(cfg *relay.Config, r *relay.Relay, logger *slog.Logger) error {
	if !cfg.Console.Enabled() {
		return nil
	}
	token, err := cfg.Console.Token.Resolve()
	if err != nil {
		return fmt.Errorf("console.token: %w", err)
	}
	c, err := console.New(r, console.Options{Token: token, Session: cfg.Console.Session, Logger: logger})
	if err != nil {
		return err
	}
	r.Mount(console.Prefix, c)
	return nil
}
