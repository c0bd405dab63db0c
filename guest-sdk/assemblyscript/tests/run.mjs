// Builds sdk_test.ts and ../../../examples/assemblyscript/site_status.ts in
// memory and runs them with node's WebAssembly API, supplying the wasmhook_v1
// imports the way the host does. Run with `npm test`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = fileURLToPath(new URL("..", import.meta.url));

async function build(entry, abort) {
  let binary;
  const { error, stderr } = await asc.main(
    [entry, "-O3", "--use", `abort=${abort}`, "--outFile", "out.wasm"],
    { writeFile(name, contents) { binary = contents; } },
  );
  if (error) throw new Error(`${entry}: ${stderr.toString()}`);
  return new WebAssembly.Module(binary);
}

// Looks the JSON Pointer path up in the JSON text `bytes` (a Uint8Array) as
// the host does, the last of duplicate keys winning: the value's [start, end)
// in bytes, or -1 (missing) or -3 (not a pointer).
function pointer(bytes, path) {
  if (path !== "" && path[0] !== "/") return -3;
  const segs = path === "" ? [] : path.slice(1).split("/");
  if (segs.some((s) => /~(?![01])/.test(s))) return -3;
  const dec = new TextDecoder();
  let i = 0;
  const ws = () => { while ([32, 9, 10, 13].includes(bytes[i])) i++; };
  const str = () => { for (i++; bytes[i] !== 34; i++) if (bytes[i] === 92) i++; i++; };
  const value = () => {
    if (bytes[i] === 34) return str();
    if (bytes[i] === 123 || bytes[i] === 91) {
      let depth = 0;
      do {
        const c = bytes[i];
        if (c === 34) { str(); continue; }
        if (c === 123 || c === 91) depth++;
        if (c === 125 || c === 93) depth--;
        i++;
      } while (depth > 0);
      return;
    }
    while (i < bytes.length && ![44, 125, 93, 32, 9, 10, 13].includes(bytes[i])) i++;
  };
  ws();
  let start = i;
  value();
  let end = i;
  for (const raw of segs) {
    const seg = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    let found = null;
    i = start + 1;
    ws();
    if (bytes[start] === 123) {
      while (bytes[i] !== 125) {
        const ks = i;
        str();
        const key = JSON.parse(dec.decode(bytes.subarray(ks, i)));
        ws(); i++; ws();
        const vs = i;
        value();
        if (key === seg) found = [vs, i];
        ws();
        if (bytes[i] === 44) { i++; ws(); }
      }
    } else if (bytes[start] === 91 && /^(0|[1-9][0-9]*)$/.test(seg)) {
      let n = Number(seg);
      while (bytes[i] !== 93) {
        const vs = i;
        value();
        if (n-- === 0) { found = [vs, i]; break; }
        ws();
        if (bytes[i] === 44) { i++; ws(); }
      }
    }
    if (found === null) return -1;
    [start, end] = found;
  }
  return [start, end];
}

// Instantiates a module with a host that records what the guest did.
function host(module, config = "{}", fetch = null) {
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });
  const st = { input: new Uint8Array(), output: null, error: null, logs: [], inputReads: 0, outputSets: 0, fieldReads: 0, responseReads: [], requests: [] };
  // The lookups' stand-ins: fetch(method, url, headers, body) returns
  // {status, headers, body} or a negative status; the store is a Map.
  let response = null;
  const kv = new Map();
  const cfg = enc.encode(config);
  let memory;
  const copy = (src, ptr, len) => {
    new Uint8Array(memory.buffer, ptr, Math.min(len, src.length)).set(src.subarray(0, len));
    return src.length;
  };
  const bytes = (ptr, len) => dec.decode(new Uint8Array(memory.buffer, ptr, len));
  const imports = {
    wasmhook_v1: {
      input_read(ptr, len) { st.inputReads++; return copy(st.input, ptr, len); },
      config_read(ptr, len) { return copy(cfg, ptr, len); },
      output_set(ptr, len) { st.outputSets++; st.output = bytes(ptr, len); },
      error_set(ptr, len) { st.error = bytes(ptr, len); },
      log(level, ptr, len) { st.logs.push([level, bytes(ptr, len)]); },
      field_read(doc, pathPtr, pathLen, ptr, len) {
        st.fieldReads++;
        if (doc === 4) {
          // The last response's body: none after a failed request, and
          // checked as JSON, as the host does.
          if (response === null) return -6;
          try { JSON.parse(dec.decode(response.body)); } catch { return -7; }
        }
        const src = doc === 0 ? st.input : doc === 1 ? cfg : doc === 2 || doc === 3 ? enc.encode("null") : doc === 4 ? response.body : null;
        if (src === null) return -4;
        const r = pointer(src, bytes(pathPtr, pathLen));
        return typeof r === "number" ? r : copy(src.subarray(r[0], r[1]), ptr, len);
      },
      http_request(mp, ml, up, ul, hp, hl, bp, bl) {
        const req = [bytes(mp, ml) || "GET", bytes(up, ul), bytes(hp, hl), bytes(bp, bl)];
        st.requests.push(req);
        const r = fetch === null ? -1 : fetch(...req);
        response = typeof r === "number" ? null : { url: req[1], body: enc.encode(r.body), headers: enc.encode(JSON.stringify(r.headers)) };
        return typeof r === "number" ? r : r.status;
      },
      http_response_read(part, ptr, len) {
        if (response === null) return -6;
        st.responseReads.push([response.url, part]);
        return copy(part === 0 ? response.body : response.headers, ptr, len);
      },
      kv_get(kp, kl, ptr, len) {
        const k = bytes(kp, kl);
        if (k === "") return -5;
        return kv.has(k) ? copy(kv.get(k), ptr, len) : -7;
      },
      kv_set(kp, kl, vp, vl, ttl) {
        const k = bytes(kp, kl);
        if (k === "" || ttl < 0n) return -5;
        kv.set(k, new Uint8Array(memory.buffer, vp, vl).slice());
        return 0;
      },
      kv_delete(kp, kl) {
        const k = bytes(kp, kl);
        if (k === "") return -5;
        kv.delete(k);
        return 0;
      },
    },
  };
  for (const imp of WebAssembly.Module.imports(module)) {
    assert.equal(imp.module, "wasmhook_v1", `import ${imp.module}.${imp.name}`);
  }
  const instance = new WebAssembly.Instance(module, imports);
  memory = instance.exports.memory;
  st.memory = memory;
  st.call = (json) => {
    st.input = typeof json === "string" ? enc.encode(json) : json;
    st.output = st.error = null;
    st.inputReads = st.outputSets = st.fieldReads = 0;
    st.responseReads = [];
    response = null; // kept until the end of the call
    return instance.exports.wasmhook_on_event(st.input.length);
  };
  return st;
}

let failures = 0;
function check(name, fn) {
  try {
    fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}

const sdk = await build("tests/sdk_test.ts", "assembly/index/wasmhookAbort");
// The abort path names the SDK file relative to the working directory.
const fields = await build("tests/fields_test.ts", "assembly/index/wasmhookAbort");
const example = await build("../../examples/assemblyscript/site_status.ts", "../../guest-sdk/assemblyscript/assembly/index/wasmhookAbort");
const lookups = await build("tests/lookup_test.ts", "assembly/index/wasmhookAbort");
const tenant = await build("../../examples/assemblyscript/netbox_tenant.ts", "../../guest-sdk/assemblyscript/assembly/index/wasmhookAbort");

check("lookups: a GET with headers, its response read whole", () => {
  const name = "Acme " + "x".repeat(6000); // past the first read's buffer
  const h = host(lookups, "{}", (method, url, headers, body) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) }));
  assert.equal(h.call(`{"test":"get","url":"https://netbox.example.com/api/tenancy/tenants/7/"}`), 0);
  assert.deepEqual(h.requests, [["GET", "https://netbox.example.com/api/tenancy/tenants/7/", String.raw`{"Accept":"application/json","X-Q":"a\"b"}`, ""]]);
  assert.deepEqual(JSON.parse(h.output), { status: 200, name, type: "application/json", header: "application/json", len: JSON.stringify({ name }).length });
});

check("lookups: a 404 is a response, a refusal a status", () => {
  const h = host(lookups, "{}", () => ({ status: 404, headers: {}, body: `{"detail":"No Tenant matches the given query."}` }));
  assert.equal(h.call(`{"test":"post"}`), 0);
  assert.deepEqual(h.requests, [["POST", "https://h/", "", "{}"]]);
  assert.deepEqual(JSON.parse(h.output), { status: 404, answered: true, body: { detail: "No Tenant matches the given query." } });
  const names = { "-1": "not allowed", "-2": "timeout", "-3": "too large", "-4": "upstream error", "-5": "bad request", "-6": "no response", "-9": "unknown status" };
  for (const [status, name] of Object.entries(names)) {
    const f = host(lookups, "{}", () => Number(status));
    assert.equal(f.call(`{"test":"fail"}`), 0);
    assert.deepEqual(JSON.parse(f.output), { status: Number(status), answered: false, name, body: false });
  }
  const none = host(lookups);
  assert.equal(none.call(`{"test":"fail"}`), 0);
  assert.equal(JSON.parse(none.output).name, "not allowed", "no grant");
});

check("lookups: field reads of the response, the body never copied", () => {
  const name = "Acme " + "x".repeat(6000); // past the first chunk
  const body = `{"name": ${JSON.stringify(name)}, "slug": "acme", "group": {"name": "Customers", "slug": "cust\\u00f6mers"}, "tags": [{"name": "a"}, {"name": "b"}], "dup": 1, "dup": 2}`;
  const fetch = (method, url) => url === "https://h/refused" ? -1 : url === "https://h/text" ? { status: 200, headers: {}, body: "not json" } :
    url === "https://h/other" ? { status: 200, headers: {}, body: `{"slug": "other"}` } : { status: 200, headers: {}, body };
  const h = host(lookups, "{}", fetch);
  for (let round = 0; round < 3; round++) {
    assert.equal(h.call(`{"test":"fields","url":"https://h/t"}`), 0);
    assert.deepEqual(JSON.parse(h.output), {
      status: 200, slug: "acme", group: "cust\u00f6mers", tag: "b", dup: 2, whole: body.length, missing: false, badPath: false, name,
      stale: false, staleBody: false, other: "other", text: false, bodyText: "not json", failed: false, afterFailure: "",
    });
    assert.ok(h.responseReads.length > 0);
    for (const read of h.responseReads) assert.deepEqual(read, ["https://h/text", 0], "only the text's body, by bodyText");
  }
  const size = h.memory.buffer.byteLength;
  for (let i = 0; i < 20000; i++) assert.equal(h.call(`{"test":"fields","url":"https://h/t"}`), 0);
  assert.equal(h.memory.buffer.byteLength, size, "memory stops growing");
});

check("lookups: key-value get, set, delete", () => {
  const h = host(lookups);
  assert.equal(h.call(`{"test":"kv"}`), 0);
  assert.deepEqual(JSON.parse(h.output), { missing: -7, set: 0, found: true, value: "vü", setBig: 0, big: 5000, delete: 0, after: -7, empty: -5 });
});

check("netbox_tenant example", () => {
  const acme = readFileSync(`${root}/../../testdata/netbox/api/tenancy/tenants/7.json`, "utf8");
  const h = host(tenant, `{"netbox_url": "https://netbox.example.com//"}`, (method, url, headers) => {
    assert.equal(method, "GET");
    assert.equal(headers, `{"Accept":"application/json"}`);
    if (url === "https://netbox.example.com/api/tenancy/tenants/7/") return { status: 200, headers: {}, body: acme };
    if (url === "https://netbox.example.com/api/tenancy/tenants/9/") return { status: 200, headers: {}, body: "<html>" };
    return { status: 404, headers: {}, body: "{}" };
  });
  const site = (tenant) => `{"object_type":"dcim.site","data":{"id":4,"tenant":${tenant}}}`;
  assert.equal(h.call(site(`{"id": 7, "name": "Acme Corp"}`)), 0);
  assert.equal(h.output, `{"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}`);
  assert.deepEqual(h.responseReads, [], "field reads of the body only");
  assert.equal(h.inputReads, 0);
  assert.equal(h.call(site(`{"id": 8}`)), 0);
  assert.equal(h.output, `{"tenant_info":{"id":8,"error":"http_404"}}`);
  assert.equal(h.call(site(`{"id": 9}`)), 0);
  assert.equal(h.output, `{"tenant_info":{"id":9,"error":"bad_response"}}`);
  assert.equal(h.call(site("null")), 0);
  assert.equal(h.output, `{"tenant_info":null}`);
  assert.equal(h.call(`{"data":{}}`), 0);
  assert.equal(h.output, `{}`);
  const none = host(tenant, `{"netbox_url": "https://netbox.example.com"}`);
  assert.equal(none.call(site(`{"id": 7}`)), 0);
  assert.equal(none.output, `{"tenant_info":{"id":7,"error":"not_allowed"}}`);
  assert.equal(host(tenant).call(site(`{"id": 7}`)), 1);
});

check("exports", () => {
  for (const m of [sdk, example]) {
    assert.deepEqual(WebAssembly.Module.exports(m).map((e) => e.name).sort(), ["memory", "wasmhook_abi_v1", "wasmhook_on_event"]);
  }
});

check("field reads: pointers, documents, the input only when asked", () => {
  const paths = ["/a~1b", "/m~0n", "/dup", "/arr/1", "/arr/01", "/arr/-", "/o/k", "/s", "x", "/~2", "/nope"];
  const h = host(fields, JSON.stringify({ paths, k: "v" }));
  const input = String.raw`{"a/b": 1, "m~n": 2, "dup": 3, "dup": 4, "arr": [5, 6], "o": {"k": "Zürich"}, "s": "${"x".repeat(6000)}"}`;
  for (let round = 0; round < 3; round++) {
    assert.equal(h.call(input), 0);
    const got = JSON.parse(h.output);
    assert.deepEqual(got.values, [1, 2, 4, 6, null, null, "Zürich", "x".repeat(6000), null, null, null]);
    assert.equal(got.raw, String.raw`"Zürich"`);
    assert.equal(got.config, "v");
    assert.equal(got.post, null);
    assert.equal(got.cp, 6);
    assert.equal(h.inputReads, 0, "no input_read unless the handler asks");
  }
  assert.equal(h.call(`{"whole": true}`), 0);
  assert.equal(JSON.parse(h.output).length, 15);
  assert.equal(h.inputReads, 1);
});

check("field reads: Doc.Response, the last response's body", () => {
  const fetch = (method, url) => url === "https://h/refused" ? -1 : url === "https://h/text" ? { status: 200, headers: {}, body: "<html>" } :
    { status: 200, headers: {}, body: `{"slug": "acme", "group": {"name": "Customers"}}` };
  const h = host(fields, "{}", fetch);
  assert.equal(h.call(`{"lookup": "https://h/t"}`), 0);
  assert.deepEqual(JSON.parse(h.output), { before: false, status: 200, slug: "acme", group: "Customers" });
  assert.deepEqual(h.responseReads, []);
  assert.equal(h.call(`{"lookup": "https://h/text"}`), 0);
  assert.deepEqual(JSON.parse(h.output), { before: false, status: 200, slug: null, group: null });
  assert.equal(h.call(`{"lookup": "https://h/refused"}`), 0);
  assert.deepEqual(JSON.parse(h.output), { before: false, status: -1, slug: null, group: null });
});

check("field reads: memory stops growing over 100k events", () => {
  const h = host(fields, JSON.stringify({ paths: ["/a", "/b/0"] }));
  const input = `{"a": "${"y".repeat(100)}", "b": [{"c": 1}]}`;
  for (let i = 0; i < 1000; i++) h.call(input);
  const size = h.memory.buffer.byteLength;
  for (let i = 0; i < 100000; i++) assert.equal(h.call(input), 0);
  assert.equal(h.memory.buffer.byteLength, size);
});

check("exports of the field test", () => {
  for (const m of [fields]) {
    assert.deepEqual(WebAssembly.Module.exports(m).map((e) => e.name).sort(), ["memory", "wasmhook_abi_v1", "wasmhook_on_event"]);
  }
});

check("reader and writer", () => {
  const h = host(sdk, `{"k": [1, {"x": "y"}], "k2": 0}`);
  const input = String.raw`{"test" : "all", "o": {"a": 1, "b": {"a": 3}, "\u00e9": "e-acute", "a": 2},
    "arr": [ "s", 1.5, {"x": [1, "]"]}, [], null, true ], "n": -2.5e-3, "t": true,
    "s": "\ud83d\ude00 caf\u00e9 \"q\" \\ \/ \n\t\u0001 ü 東 \ud800 \udc00x"}`;
  assert.equal(h.call(input), 0);
  assert.equal(h.inputReads, 1);
  assert.equal(h.outputSets, 1);
  const want = String.raw`{"dup":2,"nested":3,"missing":false,"chain":null,"escapedKey":"e-acute","at":{"x": [1, "]"]},"atOut":false,"kinds":[4,3,6,5,1,2],"str":"😀 café \"q\" \\ / \u000a\u0009\u0001 ü 東 ` +
    "\u{fffd} \u{fffd}x" + String.raw`","cp":27,"raw":"\ud83d\ude00 caf\u00e9 \"q\" \\ \/ \n\t\u0001 ü 東 \ud800 \udc00x","num":-0.0025,"whole":3,"min":-9223372036854775808,"nan":null,"t":true,"rawText":"{\"a\": 3}","ctl\u000a\"\\":"\u0001\u001f` +
    "\u{fffd}x\u{fffd}" + String.raw`","cfg":[1, {"x": "y"}],"empty":{}}`;
  assert.equal(h.output, want);
  assert.doesNotThrow(() => JSON.parse(h.output));
});

check("fail sets the error and status 1, no output", () => {
  const h = host(sdk);
  assert.equal(h.call(`{"test":"fail","why":"ü"}`), 1);
  assert.equal(h.error, "bad thing: ü");
  assert.equal(h.outputSets, 0);
});

check("log, a lone surrogate sent as U+FFFD", () => {
  const h = host(sdk);
  assert.equal(h.call(String.raw`{"test":"log","message":"hello \u00fc \ud800"}`), 0);
  assert.deepEqual(h.logs, [[4, "hello ü \u{fffd}"]]);
  assert.equal(h.outputSets, 0);
});

check("abort reports through error_set and traps", () => {
  const h = host(sdk);
  assert.throws(() => h.call(`{"test":"abort"}`), WebAssembly.RuntimeError);
  assert.match(h.error, /^abort: boom at tests\/sdk_test\.ts:\d+:\d+$/);
  assert.deepEqual(h.logs, [[8, h.error]]);
});

check("large input, code points counted on raw UTF-8", () => {
  const h = host(sdk);
  const s = "ü東🗼a".repeat(300000);
  assert.equal(h.call(`{"test":"count","s":"${s}"}`), 0);
  assert.equal(h.output, `{"cp":1200000}`);
  assert.equal(h.call(`{"test":"count","s":"x"}`), 0);
  assert.equal(h.output, `{"cp":1}`);
});

check("invalid UTF-8 counts one per bad byte", () => {
  const h = host(sdk);
  const pre = new TextEncoder().encode(`{"test":"count","s":"`);
  const post = new TextEncoder().encode(`"}`);
  // A stray continuation byte, a truncated 3-byte sequence, an overlong
  // encoding, an encoded surrogate, then "a": Go's json and utf8 packages
  // count 1+2+2+3+1.
  const bad = [0x80, 0xe6, 0x9d, 0xc0, 0xaf, 0xed, 0xa0, 0x80];
  assert.equal(h.call(new Uint8Array([...pre, ...bad, 0x61, ...post])), 0);
  assert.equal(h.output, `{"cp":9}`);
});

check("random documents agree with JSON.parse", () => {
  // A seeded generator of JSON text with escapes, brackets and quotes inside
  // strings, surrogates, duplicate names and spaces, so that the 8-byte scans
  // meet every case at every offset.
  let seed = 1;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pick = (a) => a[rand(a.length)];
  const pieces = ["a", "Zz", " ", String.raw`\"`, String.raw`\\`, String.raw`\/`, String.raw`\n`, String.raw`\u00fc`,
    "ü", "東", "🗼", String.raw`\ud83d\ude00`, String.raw`\ud83d`, String.raw`\ude00x`, "{", "}", "[", "]", ",", ":",
    String.raw`\"}`, String.raw`\\\"`, "long text without specials"];
  const space = () => pick(["", "", " ", "\n  ", "\t"]);
  const str = () => {
    let s = '"';
    for (let i = rand(12); i > 0; i--) s += pick(pieces);
    return s + '"';
  };
  const names = ['"k"', '"status"', '"name"', String.raw`"\u006b"`, '"kk"', '"k2"'];
  const value = (depth) => {
    const r = rand(10);
    if (r < 4 || depth > 3) return r < 2 ? str() : pick(["null", "true", "false", "0", "-12.5e3", "123456789012"]);
    if (r < 6) return "[" + Array.from({ length: rand(5) }, () => space() + value(depth + 1) + space()).join(",") + "]";
    return "{" + Array.from({ length: rand(5) }, () => space() + pick(names) + space() + ":" + space() + value(depth + 1) + space()).join(",") + "}";
  };
  const h = host(sdk);
  for (let i = 0; i < 5000; i++) {
    const o = "{" + Array.from({ length: rand(6) }, () => space() + pick(names) + space() + ":" + space() + value(0) + space()).join(",") + "}";
    const k = pick(["k", "status", "name", "missing"]);
    assert.equal(h.call(`{"test":"member","o":${o},"k":"${k}"}`), 0, o);
    const want = k in JSON.parse(o) ? JSON.parse(o)[k] : null;
    const got = JSON.parse(h.output);
    assert.deepEqual(got.raw, want, o);
    if (typeof want === "string") {
      assert.equal(got.cp, [...want].length, o);
      assert.equal(got.str, want.toWellFormed(), o);
    } else {
      assert.equal(got.cp, -1, o);
    }
    assert.equal(got.elements, Array.isArray(want) ? want.length : 0, o);
    assert.deepEqual(got.last, Array.isArray(want) && want.length ? want[want.length - 1] : null, o);
  }
});

check("memory stops growing over 100k events", () => {
  const h = host(sdk, `{"k": 1}`);
  const input = `{"test":"all","o":{"a":1,"b":{"a":2}},"arr":[1,2,3],"s":"Z\\u00fcrich","n":1,"t":false}`;
  for (let i = 0; i < 1000; i++) h.call(input);
  const size = h.memory.buffer.byteLength;
  for (let i = 0; i < 100000; i++) assert.equal(h.call(input), 0);
  assert.equal(h.memory.buffer.byteLength, size);
});

check("site_status example on the fixtures", () => {
  const events = `${root}/../../examples/testdata/events`;
  const cases = {
    "site-updated.json": `{"site_status":"active","name_len":10}`,
    "site-emoji-escaped.json": String.raw`{"site_status":"act\"ive\\","name_len":15}`,
    "site-missing-fields.json": `{}`,
    "whitespace.json": `{"site_status":"active","name_len":15}`,
  };
  const plain = host(example);
  const ns = host(example, String.raw`{"namespace": "Z\u00fcrich \"ns\" \\ \t"}`);
  for (const [file, want] of Object.entries(cases)) {
    const event = readFileSync(`${events}/${file}`, "utf8");
    assert.equal(plain.call(event), 0);
    assert.equal(plain.output, want, file);
    assert.equal(plain.inputReads, 0, "field reads only");
    assert.equal(ns.call(event), 0);
    assert.equal(ns.output, String.raw`{"Zürich \"ns\" \\ \u0009":` + want + "}", file);
  }
});

if (failures) {
  console.log(`${failures} failed`);
  process.exit(1);
}
