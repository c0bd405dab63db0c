//go:build !wasip1

package main

import (
	"testing"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// The plugin run natively through wasmhook.Run, with SetFetch standing in
// for NetBox. The wasm module itself runs against a local NetBox in
// ../../lookup_test.go.
func TestTenantInfo(t *testing.T) {
	var got []string
	wasmhook.SetFetch(func(req wasmhook.Request) (*wasmhook.Response, error) {
		method := req.Method
		if method == "" { // an empty method is GET
			method = "GET"
		}
		got = append(got, method+" "+req.URL+" "+req.Header["Accept"])
		switch req.URL {
		case "https://netbox.example.com/api/tenancy/tenants/7/":
			return &wasmhook.Response{Status: 200, Body: []byte(`{"id":7,"name":"Acme Corp","slug":"acme","group":{"id":2,"name":"Customers","slug":"customers"}}`)}, nil
		case "https://netbox.example.com/api/tenancy/tenants/8/":
			return &wasmhook.Response{Status: 200, Body: []byte(`{"detail":"odd"}`)}, nil
		case "https://netbox.example.com/api/tenancy/tenants/9/":
			return nil, &wasmhook.LookupError{Op: "fetch", Status: -2}
		}
		return &wasmhook.Response{Status: 404, Body: []byte(`{"detail":"No Tenant matches the given query."}`)}, nil
	})
	defer wasmhook.SetFetch(nil)
	cfg := []byte(`{"netbox_url": "https://netbox.example.com/"}`)
	tests := []struct{ data, want string }{
		{`{"tenant": {"id": 7}}`, `{"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}`},
		{`{"tenant": {"id": 8}}`, `{"tenant_info":{"id":8,"error":"bad_response"}}`},
		{`{"tenant": {"id": 9}}`, `{"tenant_info":{"id":9,"error":"timeout"}}`},
		{`{"tenant": {"id": 10}}`, `{"tenant_info":{"id":10,"error":"http_404"}}`},
		{`{"tenant": null}`, `{"tenant_info":null}`},
		{`{"tenant": {"id": 0}}`, `{"tenant_info":null}`},
		{`{"tenant": {"id": 7.5}}`, `{"tenant_info":null}`},
		{`{"tenant": {"id": "7"}}`, `{"tenant_info":null}`},
		{`{"tenant": 7}`, `{"tenant_info":null}`},
		{`{"name": "no tenant field"}`, `{}`},
	}
	for _, tt := range tests {
		input := `{"object_type":"dcim.site","event_type":"object_updated","data":` + tt.data + `,"request":null}`
		out, err := wasmhook.Run([]byte(input), cfg)
		if err != nil || string(out) != tt.want {
			t.Errorf("data %s:\ngot  %s (%v)\nwant %s", tt.data, out, err, tt.want)
		}
	}
	if len(got) != 4 || got[0] != "GET https://netbox.example.com/api/tenancy/tenants/7/ application/json" {
		t.Errorf("requests: %q", got)
	}
	if _, err := wasmhook.Run([]byte(`{"data":{}}`), []byte(`{}`)); err == nil {
		t.Error("no netbox_url: want an error")
	}
}
