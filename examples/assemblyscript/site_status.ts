// site_status: the example plugin of examples/README.md, as an AssemblyScript
// reactor on the wasmhook guest SDK. For a NetBox event it returns
//
//   {"site_status": <data.status.value, token copied>, "name_len": <code points of data.name>}
//
// nested under the configuration's "namespace" string when there is one.
//
// Build (see README.md): npx asc site_status.ts -O3 \
//   --use abort=../../guest-sdk/assemblyscript/assembly/index/wasmhookAbort --outFile site_status.wasm

import { config, Event, runEvent, Writer } from "../../guest-sdk/assemblyscript/assembly";
export { wasmhook_abi_v1 } from "../../guest-sdk/assemblyscript/assembly";

export function wasmhook_on_event(inputLen: i32): i32 {
  return runEvent(inputLen, handle);
}

// The configuration does not change during an instance's life: look the
// namespace up on the first event only.
let configured = false;
let namespace: string | null = null;

function handle(event: Event, out: Writer): i32 {
  if (!configured) {
    const ns = config().get("namespace");
    if (ns.isString()) namespace = ns.toString();
    configured = true;
  }
  const ns = namespace;
  if (ns !== null) out.beginObject().key(ns);

  // The host looks each path up and copies only the value: the input is
  // never read. /data/name is data's own member, never one in data.tags.
  out.beginObject();
  const status = event.get("/data/status/value");
  if (status.isString()) out.key("site_status").raw(status);
  const name = event.get("/data/name");
  if (name.isString()) out.key("name_len").int(name.codePoints());
  out.endObject();

  if (ns !== null) out.endObject();
  return 0;
}
