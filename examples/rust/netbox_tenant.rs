//! netbox_tenant: the lookup example of ../README.md. For an event whose
//! object has a tenant (a dcim.site, say), asks NetBox's REST API for the
//! tenant and returns
//!
//!     {"tenant_info":{"id":7,"name":"Acme Corp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}
//!
//! The base URL comes from the configuration ({"netbox_url":
//! "https://netbox.example.com"}); the API token is not the module's to
//! know: the operator's grant makes the host add it to the request. The
//! answer's four fields are field reads of the response (`Doc::Response`):
//! the body stays at the host, which indexes it once (a cached answer keeps
//! its index), and is neither copied nor parsed here. The exact rules are in
//! ../README.md; the build command is in README.md.

use std::cell::RefCell;
use wasmhook::{Doc, Event, Kind, LookupError, Value, Writer};

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
    let result = wasmhook::http_send("", &url, &[("Accept", "application/json")], &[]);
    out.begin_object().key("id").value(id);
    match result {
        Err(e) => {
            out.key("error").string(lookup_error(e));
        }
        Ok(status) if status != 200 => {
            out.key("error").string(&format!("http_{}", status));
        }
        Ok(_) => {
            // A string of the response's body, as NetBox wrote it; None when
            // there is none, or the body is not JSON.
            let string = |path: &str| event.get_in(Doc::Response, path).filter(|v| v.kind() == Kind::String);
            match (string("/name"), string("/slug")) {
                (Some(name), Some(slug)) => {
                    out.key("name").value(name).key("slug").value(slug);
                    out.key("group");
                    match (string("/group/name"), string("/group/slug")) {
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
    fn group_and_bad_answers() {
        set_fetch(|_, _, _, _| {
            Ok((
                200,
                b"{}".to_vec(),
                br#"{"id": 7, "name": "Acme \u0043orp", "slug": "acme", "group": {"id": 2, "name": "Customers", "slug": "customers"}}"#
                    .to_vec(),
            ))
        });
        assert_eq!(
            call(super::wasmhook_on_event, SITE, CONFIG).as_deref(),
            Ok(r#"{"tenant_info":{"id":7,"name":"Acme \u0043orp","slug":"acme","group":{"name":"Customers","slug":"customers"}}}"#)
        );
        for (status, body, want) in [
            (404, r#"{"detail": "No Tenant matches the given query."}"#, r#"{"tenant_info":{"id":7,"error":"http_404"}}"#),
            (200, r#"{"name": "Acme Corp", "slug": 7}"#, r#"{"tenant_info":{"id":7,"error":"bad_response"}}"#),
            (200, r#"<html>{"name": "Acme Corp", "slug": "acme"}</html>"#, r#"{"tenant_info":{"id":7,"error":"bad_response"}}"#),
            (200, r#"{"name": "A", "slug": "a", "group": {"name": "G"}}"#, r#"{"tenant_info":{"id":7,"name":"A","slug":"a","group":null}}"#),
        ] {
            set_fetch(move |_, _, _, _| Ok((status, b"{}".to_vec(), body.as_bytes().to_vec())));
            assert_eq!(call(super::wasmhook_on_event, SITE, CONFIG).as_deref(), Ok(want), "{}", body);
        }
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
