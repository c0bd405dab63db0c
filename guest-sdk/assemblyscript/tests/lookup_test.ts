// A plugin exercising the SDK's lookups, driven by run.mjs: the input's
// "test" member picks what it does, and the output reports what it got.

import { run, Value, Writer } from "../assembly";
import { httpGet, httpRequest, kvDelete, kvGet, kvSet, kvSetString, statusName } from "../assembly/lookup";
export { wasmhook_abi_v1 } from "../assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return run(inputLen, handle);
}

function handle(input: Value, out: Writer): i32 {
  const test = input.get("test").toString();
  out.beginObject();
  if (test == "get") {
    const h = new Map<string, string>();
    h.set("Accept", "application/json");
    h.set("X-Q", "a\"b");
    const r = httpGet(input.get("url").toString(), h);
    out.key("status").int(r.status).key("name").raw(r.body.get("name"));
    out.key("type").raw(r.headers.get("content-type"));
    const ct = r.header("content-type");
    out.key("header").string(ct === null ? "none" : ct);
    out.key("len").int(r.bodyText().length);
  } else if (test == "post") {
    const r = httpRequest("POST", "https://h/", null, "{}");
    out.key("status").int(r.status).key("answered").bool(r.answered).key("body").raw(r.body);
  } else if (test == "fail") {
    const r = httpGet("https://h/");
    out.key("status").int(r.status).key("answered").bool(r.answered).key("name").string(statusName(r.status));
    out.key("body").bool(r.body.exists);
  } else if (test == "fields") {
    // Field reads of the body: the values only, the first one larger than
    // the first chunk and still valid after those read later.
    const r = httpGet(input.get("url").toString());
    const name = r.get("/name");
    out.key("status").int(r.status).key("slug").raw(r.get("/slug"));
    out.key("group").raw(r.get("/group/slug")).key("tag").raw(r.get("/tags/1/name"));
    out.key("dup").raw(r.get("/dup")).key("whole").int(r.get("").byteLength);
    out.key("missing").bool(r.get("/nope").exists).key("badPath").bool(r.get("slug").exists);
    out.key("name").raw(name);
    // The next request: the first response is gone (its fields and body
    // missing, not the next one's).
    const next = httpGet("https://h/other");
    out.key("stale").bool(r.get("/slug").exists).key("staleBody").bool(r.body.exists);
    out.key("other").raw(next.get("/slug"));
    // A body that is not JSON has no fields but is there as text; after a
    // failed request there is no response at all.
    const text = httpGet("https://h/text");
    out.key("text").bool(text.get("").exists).key("bodyText").string(text.bodyText());
    const failed = httpGet("https://h/refused");
    out.key("failed").bool(failed.get("").exists).key("afterFailure").string(text.bodyText());
  } else if (test == "kv") {
    out.key("missing").int(kvGet("k").status);
    out.key("set").int(kvSetString("k", "v\u00fc", 60000));
    const v = kvGet("k");
    out.key("found").bool(v.found).key("value").string(v.toString());
    const big = new Uint8Array(5000);
    big.fill(0x41);
    out.key("setBig").int(kvSet("big", big));
    out.key("big").int(kvGet("big").bytes.length);
    out.key("delete").int(kvDelete("k"));
    out.key("after").int(kvGet("k").status);
    out.key("empty").int(kvSetString("", "x"));
  }
  out.endObject();
  return 0;
}
