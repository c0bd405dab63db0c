//! site_status: for a NetBox event, returns
//!
//!     {"site_status": <data.status.value>, "name_len": <code points of data.name>}
//!
//! nested under the configuration's "namespace" when it has one. The exact
//! rules are in ../README.md; the build command is in README.md.

use wasmhook::{Event, Kind, Writer};

wasmhook::plugin!(handle);

fn handle(event: &Event, out: &mut Writer) -> Result<(), String> {
    // Read once per instance by the SDK; a non-string namespace is ignored.
    let namespace = wasmhook::config()?
        .get("namespace")
        .and_then(|ns| ns.as_str());
    if let Some(ns) = &namespace {
        out.begin_object().key(ns);
    }
    out.begin_object();
    // Only data's own members count (a "name" inside data.tags is not
    // data.name), both found in one pass over data.
    // The host looks each path up and copies only the value: the input is
    // never read. /data/name is data's own member, never one in data.tags.
    let value = event.get("/data/status/value");
    let name = event.get("/data/name");
    if let Some(value) = value.filter(|v| v.kind() == Kind::String) {
        // The input's string token as it is, escapes included.
        out.key("site_status").value(value);
    }
    if let Some(len) = name.and_then(|n| n.char_count()) {
        out.key("name_len").uint(len as u64);
    }
    out.end_object();
    if namespace.is_some() {
        out.end_object();
    }
    Ok(())
}

// Native unit tests (README.md): the SDK's in-memory host stands in for
// wasmhook's.
#[cfg(test)]
mod tests {
    use wasmhook::testing::call;

    #[test]
    fn site_updated() {
        let event = r#"{"data": {"name": "Z\u00fcrich <1>", "status": {"value": "active"}}}"#;
        assert_eq!(
            call(super::wasmhook_on_event, event, "{}").as_deref(),
            Ok(r#"{"site_status":"active","name_len":10}"#)
        );
        assert_eq!(
            call(super::wasmhook_on_event, event, r#"{"namespace": "geo"}"#).as_deref(),
            Ok(r#"{"geo":{"site_status":"active","name_len":10}}"#)
        );
    }

    #[test]
    fn nothing_to_report() {
        let event = r#"{"data": {"status": "active", "tags": [{"name": "x"}]}}"#;
        assert_eq!(
            call(super::wasmhook_on_event, event, "{}").as_deref(),
            Ok("{}")
        );
    }
}
