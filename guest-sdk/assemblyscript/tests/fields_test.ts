// A plugin exercising the SDK's field reads (run by run.mjs): it looks up
// every path of its configuration's "paths" array in the input and outputs
// {"values":[...], "raw": <the raw /o/k>, "config": <config /k>, "post":
// <the postchange snapshot>, "cp": <code points of /o/k>}; an input with a
// "whole" member outputs the input's length, read with Event.input().

import { config, Doc, Event, runEvent, Writer } from "../assembly";
export { wasmhook_abi_v1 } from "../assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return runEvent(inputLen, handle);
}

function handle(event: Event, out: Writer): i32 {
  if (event.get("/whole").isBool()) {
    out.beginObject().key("length").int(<i64>event.input().byteLength).endObject();
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
