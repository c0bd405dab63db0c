// Command embed is a Go application that embeds wasmhook the way a webhook
// sender would: it loads the example plugins, enriches NetBox events, signs
// each payload and POSTs it to a receiver, which verifies the signature.
// Here the receiver is a local HTTP server started by the program itself.
//
//	go run ./examples/embed [-modules DIR] [-secret S] [EVENT.json...]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmhook/wasmhook"
)

func main() {
	modules := flag.String("modules", "examples/wat", "plugin directory")
	secret := flag.String("secret", "s3cr3t", "the webhook secret shared with the receiver")
	flag.Parse()
	events := flag.Args()
	if len(events) == 0 {
		events, _ = filepath.Glob("examples/testdata/events/*.json")
	}
	if err := run(context.Background(), *modules, *secret, events, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run enriches, signs and sends every event, and reports what the
// receiver said.
func run(ctx context.Context, modules, secret string, events []string, out io.Writer) error {
	recv, err := startReceiver(secret)
	if err != nil {
		return err
	}
	defer recv.Close()

	e, err := wasmhook.New(ctx, wasmhook.Options{
		Dir:    modules,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer e.Close(ctx)

	client := &http.Client{Timeout: 10 * time.Second}
	for _, file := range events {
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var ev wasmhook.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		res, err := e.Enrich(ctx, &ev)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, recv.URL, bytes.NewReader(res.Payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if secret != "" { // NetBox adds the header only with a secret
			req.Header.Set(wasmhook.SignatureHeader, wasmhook.Sign(secret, res.Payload))
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: the receiver said %s: %s", file, resp.Status, body)
		}
		fmt.Fprintf(out, "%-26s %d callbacks, %d failed -> %s", filepath.Base(file), len(res.Reports), len(res.Failed()), body)
	}
	return nil
}

// receiver is a webhook endpoint that checks X-Hook-Signature.
type receiver struct {
	URL string
	srv *http.Server
}

func (r *receiver) Close() { r.srv.Close() }

// startReceiver listens on a loopback port and answers each webhook with
// the context it received, or 403 when the signature does not match.
func startReceiver(secret string) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !wasmhook.Verify(secret, body, r.Header.Get(wasmhook.SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		var payload struct {
			Event   string          `json:"event"`
			Context json.RawMessage `json:"context"`
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if payload.Context == nil {
			payload.Context = json.RawMessage("(no context)")
		}
		fmt.Fprintf(w, "signature ok, %s: %s\n", payload.Event, payload.Context)
	})
	r := &receiver{URL: "http://" + ln.Addr().String() + "/webhook", srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
		}
	}()
	return r, nil
}
