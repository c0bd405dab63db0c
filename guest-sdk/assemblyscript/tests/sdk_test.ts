// A plugin exercising the SDK, driven by run.mjs: the input's "test" member
// picks what it does.

import { config, fail, Level, log, run, Value, Writer } from "../assembly";
export { wasmhook_abi_v1 } from "../assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return run(inputLen, handle);
}

function handle(input: Value, out: Writer): i32 {
  const test = input.get("test").toString();
  if (test == "fail") return fail("bad thing: " + input.get("why").toString());
  if (test == "log") {
    log(Level.Warn, input.get("message").toString());
    return 0;
  }
  if (test == "abort") {
    assert(false, "boom");
    return 0;
  }
  if (test == "member") {
    const v = input.get("o").get(input.get("k").toString());
    let n = 0;
    while (v.at(n).exists) n++;
    out.beginObject().key("raw").raw(v).key("cp").int(v.codePoints()).key("str").string(v.toString());
    out.key("elements").int(n).key("last").raw(v.at(n - 1)).endObject();
    return 0;
  }
  if (test == "count") {
    out.beginObject().key("cp").int(input.get("s").codePoints()).endObject();
    return 0;
  }
  const o = input.get("o");
  const arr = input.get("arr");
  out.beginObject();
  out.key("dup").raw(o.get("a"));
  out.key("nested").raw(o.get("b").get("a"));
  out.key("missing").bool(o.get("zz").exists);
  out.key("chain").raw(input.get("zz").get("y").at(0));
  out.key("escapedKey").raw(o.get("é"));
  out.key("at").raw(arr.at(2));
  out.key("atOut").bool(arr.at(9).exists);
  out.key("kinds").beginArray();
  for (let i = 0; arr.at(i).exists; i++) out.int(arr.at(i).kind);
  out.endArray();
  out.key("str").string(input.get("s").toString());
  out.key("cp").int(input.get("s").codePoints());
  out.key("raw").raw(input.get("s"));
  out.key("num").number(input.get("n").toF64());
  out.key("whole").number(3.0);
  out.key("min").int(i64.MIN_VALUE);
  out.key("nan").number(input.get("s").toF64());
  out.key("t").bool(input.get("t").toBool());
  out.key("rawText").string(o.get("b").raw());
  out.key("ctl\n\"\\").string("\u0001\u001f\ud800x\udc00");
  out.key("cfg").raw(config().get("k"));
  out.key("empty").beginObject().endObject();
  out.endObject();
  return 0;
}
