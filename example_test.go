package wasmhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/testmod"
)

// A NetBox-style event: a site was updated through the REST API.
var exampleEvent = &wasmhook.Event{
	ObjectType: "dcim.site",
	EventType:  "object_updated",
	Data:       json.RawMessage(`{"id": 4, "name": "Z\u00fcrich <1>", "status": {"value": "active", "label": "Active"}}`),
	Timestamp:  time.Date(2026, 3, 6, 15, 11, 23, 503186000, time.UTC),
	Username:   "jstretch",
}

// Load every module of a directory and enrich one event. examples/wat holds
// active_branch.wasm, which adds {"active_branch": null}, and
// site_status.wasm, which adds the site's status and the length of its
// name.
func ExampleNew() {
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: "examples/wat"})
	if err != nil {
		log.Fatal(err) // names the module file and the reason
	}
	defer e.Close(ctx)

	res, err := e.Enrich(ctx, exampleEvent)
	if err != nil {
		log.Fatal(err) // only for an invalid event
	}
	fmt.Println(string(res.Payload))
	fmt.Println(wasmhook.SignatureHeader+":", wasmhook.Sign("s3cr3t", res.Payload)[:16]+"...")
	// Output:
	// {"event": "updated", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "username": "jstretch", "request_id": null, "data": {"id": 4, "name": "Z\u00fcrich <1>", "status": {"value": "active", "label": "Active"}}, "context": {"active_branch": null, "site_status": "active", "name_len": 10}}
	// X-Hook-Signature: 3140c1811aa2681d...
}

// Native Go callbacks run beside the modules, as NetBox plugins do in
// Python. Results merge in registration order; later keys win.
func ExampleEnricher_Register() {
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close(ctx)

	e.Register("owner", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		return map[string]any{"owner": "netops", "tier": 1}, nil
	})
	e.Register("tiering", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		var data struct{ Status struct{ Value string } }
		if err := json.Unmarshal(in.Data, &data); err != nil {
			return nil, err
		}
		if data.Status.Value == "active" {
			return map[string]any{"tier": 2}, nil
		}
		return nil, nil // nothing to add
	})
	res, err := e.Enrich(ctx, exampleEvent)
	if err != nil {
		log.Fatal(err)
	}
	var payload struct{ Context json.RawMessage }
	json.Unmarshal(res.Payload, &payload)
	fmt.Println(string(payload.Context))
	// Output:
	// {"owner": "netops", "tier": 2}
}

// A failing callback is reported and left out; the payload still carries
// the others' results.
func ExampleResult_Failed() {
	ctx := context.Background()
	e, _ := wasmhook.New(ctx, wasmhook.Options{Logger: testmod.Logger(io.Discard)})
	defer e.Close(ctx)
	e.Register("broken", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		return nil, errors.New("inventory service unreachable")
	})
	e.Register("ok", func(ctx context.Context, in *wasmhook.Input) (any, error) {
		return map[string]bool{"checked": true}, nil
	})
	res, _ := e.Enrich(ctx, exampleEvent)
	for _, rep := range res.Failed() {
		fmt.Println(rep.Callback, errors.Is(rep.Err, wasmhook.ErrGuest), rep.Err)
	}
	var payload struct{ Context json.RawMessage }
	json.Unmarshal(res.Payload, &payload)
	fmt.Println(string(payload.Context))
	// Output:
	// broken true callback broken: guest reported an error: inventory service unreachable
	// {"checked": true}
}

// Sign gives the X-Hook-Signature of a payload: the HMAC-SHA512 of the
// exact bytes, as NetBox signs; a receiver checks it with Verify.
func ExampleSign() {
	body := []byte(`{"event": "created"}`)
	sig := wasmhook.Sign("s3cr3t", body)
	fmt.Println(len(sig), wasmhook.Verify("s3cr3t", body, sig))
	// Output:
	// 128 true
}

// A receiver checks the signature over the body as it arrived, before
// reading it: any change to the bytes, or another secret, fails.
func ExampleVerify() {
	body := []byte(`{"event": "created"}`)
	sig := wasmhook.Sign("s3cr3t", body)
	fmt.Println(wasmhook.Verify("s3cr3t", body, sig))
	fmt.Println(wasmhook.Verify("s3cr3t", []byte(`{"event":"created"}`), sig))
	fmt.Println(wasmhook.Verify("another", body, sig))
	// Output:
	// true
	// false
	// false
}

// A sender that sends each payload before enriching the next event reuses
// one Result: its payload and reports buffers are reused, and enriching
// allocates nothing per event for them.
func ExampleEnricher_EnrichInto() {
	ctx := context.Background()
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: "examples/wat"})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close(ctx)

	var res wasmhook.Result
	for _, status := range []string{"active", "planned"} {
		ev := *exampleEvent
		ev.Data = json.RawMessage(`{"id": 4, "name": "DC1", "status": {"value": "` + status + `"}}`)
		if err := e.EnrichInto(ctx, &ev, &res); err != nil {
			log.Fatal(err)
		}
		// Send res.Payload now: it is valid until res is used again.
		var payload struct{ Context json.RawMessage }
		json.Unmarshal(res.Payload, &payload)
		fmt.Println(string(payload.Context))
	}
	// Output:
	// {"active_branch": null, "site_status": "active", "name_len": 3}
	// {"active_branch": null, "site_status": "planned", "name_len": 3}
}

// Reload picks up modules added, changed or removed in the directory,
// and swaps the whole callback set at once; events in flight finish on the
// set they started with. (Watch calls Reload on every change.)
func ExampleEnricher_Reload() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "plugins")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	copyModule := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			log.Fatal(err)
		}
		// Write under a temporary name and rename: a reload never sees
		// half a file.
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, dst)); err != nil {
			log.Fatal(err)
		}
	}
	copyModule("examples/wat/active_branch.wasm", "10-branch.wasm")
	e, err := wasmhook.New(ctx, wasmhook.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close(ctx)

	copyModule("examples/wat/site_status.wasm", "20-status.wasm")
	r, err := e.Reload(ctx)
	if err != nil {
		log.Fatal(err) // the previous callbacks stay in force
	}
	fmt.Println("compiled", r.Compiled, "reused", r.Reused, "removed", r.Removed)
	for _, cb := range r.Callbacks {
		fmt.Println(cb.Name, cb.Kind)
	}
	// Output:
	// compiled 1 reused 1 removed 0
	// 10-branch reactor
	// 20-status reactor
}
