// netbox_tenant: the lookup example of examples/README.md, as an
// AssemblyScript reactor on the wasmhook guest SDK. For an event whose object
// has a tenant (a dcim.site, say), it asks NetBox's REST API for the tenant
// and returns
//
//   {"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}
//
// It reads the event's fields and the answer's (name, slug, group.name,
// group.slug) with field reads (event.get, resp.get): the host looks them up
// and neither the input nor the response's body is copied or parsed here.
//
// The base URL comes from the configuration ({"netbox_url":
// "https://netbox.example.com"}); the API token is not the module's to know:
// the operator's grant makes the host add it to the request.
//
// Build (see README.md): npx asc netbox_tenant.ts -O3 \
//   --use abort=../../guest-sdk/assemblyscript/assembly/index/wasmhookAbort --outFile netbox_tenant.wasm

import { config, Event, fail, runEvent, Value, Writer } from "../../guest-sdk/assemblyscript/assembly";
import { httpGet, LookupStatus } from "../../guest-sdk/assemblyscript/assembly/lookup";
export { wasmhook_abi_v1 } from "../../guest-sdk/assemblyscript/assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return runEvent(inputLen, handle);
}

// The configuration's netbox_url without its trailing slashes, followed by
// the tenants' API path: read on the first event only, as an instance's
// configuration never changes.
let tenantsURL: string | null = null;
const accept = new Map<string, string>();

function handle(event: Event, out: Writer): i32 {
  let base = tenantsURL;
  if (base === null) {
    const v = config().get("netbox_url");
    if (!v.isString()) return fail("netbox_tenant: the configuration has no netbox_url string");
    let s = v.toString();
    let n = s.length;
    while (n > 0 && s.charCodeAt(n - 1) == 0x2f) n--;
    base = s.substring(0, n) + "/api/tenancy/tenants/";
    tenantsURL = base;
    accept.set("Accept", "application/json");
  }

  out.beginObject();
  const tenant = event.get("/data/tenant");
  if (!tenant.exists) {
    // An object without a tenant field: nothing to say.
    out.endObject();
    return 0;
  }
  const id = event.get("/data/tenant/id");
  out.key("tenant_info");
  if (!tenant.isObject() || !isID(id)) {
    // No tenant: a clear null.
    out.null().endObject();
    return 0;
  }

  const resp = httpGet(base + id.raw() + "/", accept);
  out.beginObject().key("id").raw(id);
  if (resp.status < 0) {
    out.key("error").string(lookupError(resp.status));
  } else if (resp.status != 200) {
    out.key("error").string("http_" + resp.status.toString());
  } else {
    // Looked up in the body by the host, which indexes it once per response.
    const name = resp.get("/name");
    const slug = resp.get("/slug");
    if (!name.isString() || !slug.isString()) {
      out.key("error").string("bad_response");
    } else {
      // The tokens as NetBox wrote them.
      out.key("name").raw(name).key("slug").raw(slug);
      const gname = resp.get("/group/name");
      const gslug = resp.get("/group/slug");
      out.key("group");
      if (gname.isString() && gslug.isString()) {
        out.beginObject().key("name").raw(gname).key("slug").raw(gslug).endObject();
      } else {
        out.null();
      }
    }
  }
  out.endObject().endObject();
  return 0;
}

// Names a failed lookup's class (examples/README.md).
function lookupError(status: i32): string {
  switch (status) {
    case LookupStatus.NotAllowed: return "not_allowed";
    case LookupStatus.Timeout: return "timeout";
    case LookupStatus.TooLarge: return "too_large";
    case LookupStatus.Upstream: return "upstream";
  }
  return "lookup_failed";
}

// A NetBox object id: a positive integer written in at most 18 digits,
// without a sign or a leading zero.
function isID(v: Value): bool {
  const n = v.byteLength;
  if (!v.isNumber() || n == 0 || n > 18 || load<u8>(v.start) == 0x30) return false;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(v.start + <usize>i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
