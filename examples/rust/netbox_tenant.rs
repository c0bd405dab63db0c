//! netbox_tenant: the lookup example of ../README.md. For an event whose
//! object has a tenant (a dcim.site, say), asks NetBox's REST API for the
//! tenant and returns
//!
//!     {"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}
//!
//! The base URL comes from the configuration ({"netbox_url":
//! "https://netbox.example.com"}); the API token is not the module's to
//! know: the operator's grant makes the host add it to the request. The
//! exact rules are in ../README.md; the build command is in README.md.

use std::cell::RefCell;
use wasmhook::{Event, Kind, LookupError, Value, Writer};

wasmhook::plugin!(handle);

thread_local! {
    // The configuration's netbox_url without its trailing slashes, followed
    // by the tenants' API path: an instance's configuration never changes.
    static TENANTS_URL: RefCell<Option<String>> = RefCell::new(None);
}

fn tenants_url() -> Result<String, String> {
    if let Some(url) = TENANTS_URL.with(|u| u.borrow().clone()) {
        return Ok(url);
    }
    let base = wasmhook::config()?
        .get("netbox_url")
        .and_then(|v| v.as_str())
        .ok_or("netbox_tenant: the configuration has no netbox_url string")?;
    let url = format!("{}/api/tenancy/tenants/", base.trim_end_matches('/'));
    TENANTS_URL.with(|u| *u.borrow_mut() = Some(url.clone()));
    Ok(url)
}

fn handle(event: &Event, out: &mut Writer) -> Result<(), String> {
    let base = tenants_url()?;
    out.begin_object();
    let tenant = match event.get("/data/tenant") {
        Some(t) => t,
        None => {
            // An object without a tenant field: nothing to say.
            out.end_object();
            return Ok(());
        }
    };
    out.key("tenant_info");
    let id = match event.get("/data/tenant/id").filter(|id| is_id(id)) {
        Some(id) if tenant.kind() == Kind::Object => id,
        _ => {
            // No tenant: a clear null.
            out.null().end_object();
            return Ok(());
        }
    };
    let url = format!("{}{}/", base, String::from_utf8_lossy(id.raw()));
    let result = wasmhook::http_get(&url, &[("Accept", "application/json")]);
    out.begin_object().key("id").value(id);
    match result {
        Err(e) => {
            out.key("error").string(lookup_error(e));
        }
        Ok(resp) if resp.status != 200 => {
            out.key("error").string(&format!("http_{}", resp.status));
        }
        Ok(resp) => {
            let body = Value::trusted(&resp.body);
            let name = body.get("name").filter(|v| v.kind() == Kind::String);
            let slug = body.get("slug").filter(|v| v.kind() == Kind::String);
            match (name, slug) {
                (Some(name), Some(slug)) => {
                    // The tokens as NetBox wrote them.
                    out.key("name").value(name).key("slug").value(slug);
                    let group = body.get("group");
                    let gname = group.and_then(|g| g.get("name")).filter(|v| v.kind() == Kind::String);
                    let gslug = group.and_then(|g| g.get("slug")).filter(|v| v.kind() == Kind::String);
                    out.key("group");
                    match (gname, gslug) {
                        (Some(n), Some(s)) => {
                            out.begin_object().key("name").value(n).key("slug").value(s).end_object();
                        }
                        _ => {
                            out.null();
                        }
                    }
                }
                _ => {
                    out.key("error").string("bad_response");
                }
            }
        }
    }
    out.end_object().end_object();
    Ok(())
}

/// Names a failed lookup's class (../README.md).
fn lookup_error(e: LookupError) -> &'static str {
    match e {
        LookupError::NotAllowed => "not_allowed",
        LookupError::Timeout => "timeout",
        LookupError::TooLarge => "too_large",
        LookupError::Upstream => "upstream",
        _ => "lookup_failed",
    }
}

/// A NetBox object id: a positive integer written in at most 18 digits,
/// without a sign or a leading zero.
fn is_id(v: &Value) -> bool {
    let b = v.raw();
    v.kind() == Kind::Number
        && !b.is_empty()
        && b.len() <= 18
        && b[0] != b'0'
        && b.iter().all(|c| c.is_ascii_digit())
}

// Native unit tests (README.md): the SDK's in-memory host stands in for
// wasmhook's, and set_fetch for NetBox.
#[cfg(test)]
mod tests {
    use wasmhook::testing::{call, reset_lookups, set_fetch};

    const SITE: &str = r#"{"data": {"id": 4, "tenant": {"id": 7, "name": "Acme Corp"}}}"#;
    const CONFIG: &str = r#"{"netbox_url": "https://netbox.example.com/"}"#;

    #[test]
    fn tenant_found() {
        set_fetch(|_, url, _, _| {
            assert_eq!(url, "https://netbox.example.com/api/tenancy/tenants/7/");
            Ok((200, b"{}".to_vec(), br#"{"id":7,"name":"Acme Corp","slug":"acme","group":null}"#.to_vec()))
        });
        assert_eq!(
            call(super::wasmhook_on_event, SITE, CONFIG).as_deref(),
            Ok(r#"{"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":null}}"#)
        );
        reset_lookups();
    }

    #[test]
    fn not_allowed_and_no_tenant() {
        reset_lookups();
        assert_eq!(
            call(super::wasmhook_on_event, SITE, CONFIG).as_deref(),
            Ok(r#"{"tenant_info":{"id":7,"error":"not_allowed"}}"#)
        );
        let none = r#"{"data": {"tenant": null}}"#;
        assert_eq!(call(super::wasmhook_on_event, none, CONFIG).as_deref(), Ok(r#"{"tenant_info":null}"#));
        assert_eq!(call(super::wasmhook_on_event, r#"{"data": {}}"#, CONFIG).as_deref(), Ok("{}"));
    }
}
