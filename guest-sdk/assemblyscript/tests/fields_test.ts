// A plugin exercising the SDK's field reads (run by run.mjs): it looks up
// every path of its configuration's "paths" array in the input and outputs
// {"values":[...], "raw": <the raw /o/k>, "config": <config /k>, "post":
// <the postchange snapshot>, "cp": <code points of /o/k>}; an input with a
// "whole" member outputs the input's length, read with Event.input(); an
// input with a "lookup" URL GETs it and reads the response's fields with
// Event.getIn(Doc.Response, ...).

import { config, Doc, Event, runEvent, Writer } from "../assembly";
import { httpGet } from "../assembly/lookup";
export { wasmhook_abi_v1 } from "../assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return runEvent(inputLen, handle);
}

function handle(event: Event, out: Writer): i32 {
  if (event.get("/whole").isBool()) {
    out.beginObject().key("length").int(<i64>event.input().byteLength).endObject();
    return 0;
  }
  const lookup = event.get("/lookup");
  if (lookup.isString()) {
    out.beginObject().key("before").bool(event.getIn(Doc.Response, "").exists);
    const r = httpGet(lookup.toString());
    out.key("status").int(r.status).key("slug").raw(event.getIn(Doc.Response, "/slug"));
    out.key("group").raw(event.getIn(Doc.Response, "/group/name")).endObject();
    return 0;
  }
  out.beginObject().key("values").beginArray();
  const paths = config().get("paths");
  for (let i = 0; ; i++) {
    const p = paths.at(i);
    if (!p.isString()) break;
    const v = event.get(p.toString());
    if (v.exists) out.raw(v);
    else out.null();
  }
  out.endArray();
  const k = event.get("/o/k");
  if (k.exists) out.key("raw").string(k.raw());
  const c = event.getIn(Doc.Config, "/k");
  if (c.exists) out.key("config").raw(c);
  out.key("post").raw(event.getIn(Doc.Postchange, ""));
  if (k.exists) out.key("cp").int(k.codePoints());
  out.endObject();
  return 0;
}
