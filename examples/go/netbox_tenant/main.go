// Command netbox_tenant is the lookup example of examples/README.md as a
// Go reactor on the wasmhook SDK: for an event whose object has a tenant
// (a dcim.site, say), it asks NetBox's REST API for the tenant and
// attaches
//
//	{"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}
//
// The base URL comes from the configuration ({"netbox_url":
// "https://netbox.example.com"}); the API token is not the module's to
// know: the operator's grant makes the host add it to the request.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o netbox_tenant.wasm .
package main

import (
	"errors"
	"strconv"
	"strings"

	wasmhook "github.com/wasmhook/wasmhook/guest-sdk/go"
)

// tenantsURL is the configuration's netbox_url, without its trailing
// slashes, followed by the tenants' API path.
var tenantsURL string

func init() {
	wasmhook.Configure(func(cfg wasmhook.Value) error {
		base, ok := cfg.Get("netbox_url").String()
		if !ok {
			return errors.New("netbox_tenant: the configuration has no netbox_url string")
		}
		tenantsURL = strings.TrimRight(base, "/") + "/api/tenancy/tenants/"
		return nil
	})
	wasmhook.HandleObject(tenantInfo)
}

func tenantInfo(in *wasmhook.Input, out *wasmhook.Object) error {
	tenant := in.Field("/data/tenant")
	if !tenant.Exists() {
		return nil // an object without a tenant field: nothing to say
	}
	// The host looks the id up too: of duplicate keys the last counts, as
	// in every SDK's field reads.
	id := in.Field("/data/tenant/id").Raw()
	if tenant.Kind() != wasmhook.KindObject || !isID(id) {
		out.Raw("tenant_info", nil) // no tenant: a clear null
		return nil
	}
	resp, err := wasmhook.Fetch(wasmhook.Request{
		URL:    tenantsURL + string(id) + "/",
		Header: map[string]string{"Accept": "application/json"},
	})
	out.Nested("tenant_info").Raw("id", id)
	switch {
	case err != nil:
		out.String("error", lookupError(err))
	case resp.Status != 200:
		out.String("error", "http_"+strconv.Itoa(resp.Status))
	default:
		// The body's fields from the host's index of it (made once per
		// response, kept with a cached one): nothing is parsed here.
		name, slug := resp.Field("/name"), resp.Field("/slug")
		if name.Kind() != wasmhook.KindString || slug.Kind() != wasmhook.KindString {
			out.String("error", "bad_response")
			break
		}
		out.Raw("name", name.Raw()).Raw("slug", slug.Raw())
		gname, gslug := resp.Field("/group/name"), resp.Field("/group/slug")
		if gname.Kind() == wasmhook.KindString && gslug.Kind() == wasmhook.KindString {
			out.Nested("group").Raw("name", gname.Raw()).Raw("slug", gslug.Raw()).End()
		} else {
			out.Raw("group", nil)
		}
	}
	out.End()
	return nil
}

// lookupError names a failed lookup's class (examples/README.md).
func lookupError(err error) string {
	switch {
	case errors.Is(err, wasmhook.ErrNotAllowed):
		return "not_allowed"
	case errors.Is(err, wasmhook.ErrTimeout):
		return "timeout"
	case errors.Is(err, wasmhook.ErrTooLarge):
		return "too_large"
	case errors.Is(err, wasmhook.ErrUpstream):
		return "upstream"
	}
	return "lookup_failed"
}

// isID reports whether raw is a NetBox object id as JSON: a positive
// integer written in at most 18 digits, without a sign or a leading zero.
func isID(raw []byte) bool {
	if len(raw) == 0 || len(raw) > 18 || raw[0] == '0' {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// main is never called in a reactor; Go requires it in package main.
func main() {}
