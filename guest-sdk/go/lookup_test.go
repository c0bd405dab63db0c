//go:build !wasip1

package wasmhook_test

import (
	"errors"
	"testing"
	"time"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// TestFetchAndKV: a handler that looks a tenant up over HTTP (through
// SetFetch's stand-in for the host) and keeps it in KV: the second event
// is served from KV, a refusal is an error matching ErrNotAllowed.
func TestFetchAndKV(t *testing.T) {
	wasmhook.ResetKV()
	var fetched []wasmhook.Request
	wasmhook.SetFetch(func(r wasmhook.Request) (*wasmhook.Response, error) {
		fetched = append(fetched, r)
		if r.URL != "https://netbox.example.com/api/tenancy/tenants/7/" {
			return nil, &wasmhook.LookupError{Op: "fetch", Status: -1}
		}
		return &wasmhook.Response{Status: 200, Header: wasmhook.ParseValue([]byte(`{"content-type":"application/json"}`)),
			Body: []byte(`{"id":7,"name":"Acme"}`)}, nil
	})
	defer wasmhook.SetFetch(nil)
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		url, _ := in.Field("/data/tenant_url").String()
		name, ok, err := wasmhook.KV.Get(url)
		if err != nil {
			return err
		}
		if !ok {
			resp, err := wasmhook.Fetch(wasmhook.Request{URL: url, Header: map[string]string{"Accept": "application/json"}})
			if err != nil {
				return err
			}
			if ct, _ := resp.Header.Get("content-type").String(); resp.Status != 200 || ct != "application/json" {
				return errors.New("unexpected response")
			}
			name = wasmhook.ParseValue(resp.Body).Get("name").Raw()
			if err := wasmhook.KV.Set(url, name, time.Minute); err != nil {
				return err
			}
		}
		out.Raw("tenant", name)
		return nil
	})
	event := func(url string) (string, error) {
		out, err := wasmhook.Run([]byte(`{"object_type":"dcim.site","event_type":"object_updated","data":{"tenant_url":"`+url+`"},"request":null}`), []byte(`{"lookup_test":true}`))
		return string(out), err
	}
	for i := 0; i < 2; i++ {
		out, err := event("https://netbox.example.com/api/tenancy/tenants/7/")
		if err != nil || out != `{"tenant":"Acme"}` {
			t.Fatalf("event %d: %s, %v", i, out, err)
		}
	}
	if len(fetched) != 1 || fetched[0].Header["Accept"] != "application/json" || fetched[0].Method != "" {
		t.Fatalf("fetched %+v, want one GET with its header", fetched)
	}
	_, err := event("https://elsewhere.example.com/")
	if !errors.Is(err, wasmhook.ErrNotAllowed) {
		t.Fatalf("a refused fetch: %v, want ErrNotAllowed", err)
	}
	if err := wasmhook.KV.Delete("https://netbox.example.com/api/tenancy/tenants/7/"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := wasmhook.KV.Get("https://netbox.example.com/api/tenancy/tenants/7/"); ok {
		t.Fatal("deleted key still there")
	}
	if err := wasmhook.KV.Set("", nil, 0); !errors.Is(err, wasmhook.ErrBadRequest) {
		t.Fatalf("empty key: %v", err)
	}
}

// TestResponseField: Response.Field reads the last response's body as the
// host's field reads do (the last of duplicate keys, arrays, escapes), an
// older response's with the SDK's scanner, to the same values; a body that
// is not JSON has no fields.
func TestResponseField(t *testing.T) {
	bodies := map[string]string{
		"/a":    `{"name": "Acme", "slug": "old", "slug": "acme", "tags": [{"id": 7}], "a/b": {"m~n": true}}`,
		"/b":    `{"name": "Beta"}`,
		"/html": `<html>a proxy's error page</html>`,
	}
	wasmhook.SetFetch(func(r wasmhook.Request) (*wasmhook.Response, error) {
		return &wasmhook.Response{Status: 200, Body: []byte(bodies[r.URL])}, nil
	})
	defer wasmhook.SetFetch(nil)
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		a, err := wasmhook.Fetch(wasmhook.Request{URL: "/a"})
		if err != nil {
			return err
		}
		out.Raw("slug", a.Field("/slug").Raw()).Raw("tag", a.Field("/tags/0/id").Raw()).Raw("escaped", a.Field("/a~1b/m~0n").Raw())
		out.Raw("missing", a.Field("/tenant").Raw()).Raw("bad_path", a.Field("name").Raw())
		b, err := wasmhook.Fetch(wasmhook.Request{URL: "/b"})
		if err != nil {
			return err
		}
		// a is no longer the host's last response: its own body is read.
		out.Raw("old", a.Field("/name").Raw()).Raw("new", b.Field("/name").Raw())
		h, err := wasmhook.Fetch(wasmhook.Request{URL: "/html"})
		if err != nil {
			return err
		}
		out.Bool("html", h.Field("").Exists())
		return nil
	})
	out, err := wasmhook.Run([]byte(`{"object_type":"dcim.site","event_type":"object_updated","data":{},"request":null}`), []byte(`{"response_field_test":true}`))
	want := `{"slug":"acme","tag":7,"escaped":true,"missing":null,"bad_path":null,"old":"Acme","new":"Beta","html":false}`
	if err != nil || string(out) != want {
		t.Fatalf("got %s, %v; want %s", out, err, want)
	}

	// A response kept from one event is read from its own body in the
	// next, which fetches nothing.
	var kept *wasmhook.Response
	wasmhook.HandleObject(func(in *wasmhook.Input, out *wasmhook.Object) error {
		if kept == nil {
			var err error
			kept, err = wasmhook.Fetch(wasmhook.Request{URL: "/b"})
			return err
		}
		out.Raw("kept", kept.Field("/name").Raw())
		return nil
	})
	for range 2 {
		out, err = wasmhook.Run([]byte(`{"object_type":"dcim.site","event_type":"object_updated","data":{},"request":null}`), []byte(`{"response_field_test":true}`))
	}
	if err != nil || string(out) != `{"kept":"Beta"}` {
		t.Fatalf("a kept response: got %s, %v", out, err)
	}
}
