//! The instance side of OpenFrame (servicenow.md §5): which `sn_openframe_configuration` row a
//! user's panel uses, where it points, whether the page may talk to it, and the click-to-dial
//! payloads sent to it. The browser halves are `assets/workspace.js` (the host on the pages) and
//! `assets/openFrameAPI.js` (the library the frame loads from this instance).

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::instance::{props, Actor, Instance};
use crate::store::Db;

pub const CONFIG_TABLE: &str = "sn_openframe_configuration";
/// The role that sees the panel (servicenow.md §5.1); admins see it too.
pub const OPENFRAME_ROLE: &str = "sn_openframe_user";

/// One `sn_openframe_configuration` row, as far as choosing and showing it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRow {
    pub sys_id: String,
    pub name: String,
    pub title: String,
    pub subtitle: String,
    pub url: String,
    pub width: String,
    pub height: String,
    pub order: String,
    pub active: String,
    pub default: String,
    pub user_group: String,
    pub configuration: String,
}

/// The panel a signed-in page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub config_sys_id: String,
    /// Absolute URL of the frame.
    pub url: String,
    /// The frame's origin (`scheme://host[:port]`): the only origin the host talks to.
    pub origin: String,
    /// Whether the page may exchange messages with that origin: it is this instance's own, or it
    /// is listed in `glide.ui.concourse.onmessage_enforce_same_origin_whitelist`.
    pub trusted: bool,
    pub title: String,
    pub subtitle: String,
    pub width: u32,
    pub height: u32,
    /// The row's Configuration JSON, handed to the frame's `init` success callback.
    pub configuration: String,
}

/// The row that applies to a user: active, for everyone (no User Group) or for one of the
/// user's groups; the lowest Order wins, then the Default flag, then the name.
pub fn choose<'a>(rows: &'a [ConfigRow], user_groups: &HashSet<String>) -> Option<&'a ConfigRow> {
    rows.iter()
        .filter(|r| r.active == "true")
        .filter(|r| r.user_group.is_empty() || user_groups.contains(&r.user_group))
        .min_by_key(|r| {
            (
                r.order.trim().parse::<i64>().unwrap_or(i64::MAX),
                r.default != "true",
                r.name.clone(),
            )
        })
}

/// `scheme://host[:port]` of an absolute http(s) URL; None for anything else (a URL with user
/// info is refused too: it is a classic way to disguise the real host).
pub fn origin_of(url: &str) -> Option<String> {
    let lower = url.trim();
    let (scheme, rest) = lower.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    if authority
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// The frame URL (absolute, or relative to the instance as §5.1 allows) and its origin.
pub fn resolve_url(instance_base: &str, url: &str) -> Option<(String, String)> {
    let url = url.trim();
    if url.starts_with('/') && !url.starts_with("//") && !url.contains('\\') {
        let base = instance_base.trim_end_matches('/');
        return Some((format!("{base}{url}"), origin_of(base)?));
    }
    let origin = origin_of(url)?;
    Some((url.to_string(), origin))
}

/// Whether `origin` may talk to the pages: the instance's own, or listed in the property.
pub fn is_trusted(origin: &str, instance_origin: &str, whitelist: &str) -> bool {
    origin == instance_origin
        || whitelist
            .split(',')
            .filter_map(|o| origin_of(o.trim()))
            .any(|o| o == origin)
}

/// Panel width and height in pixels, kept to sizes a page can show.
fn pixels(raw: &str, default: u32) -> u32 {
    raw.trim()
        .parse::<u32>()
        .unwrap_or(default)
        .clamp(200, 2000)
}

pub fn panel_from(row: &ConfigRow, instance_base: &str, whitelist: &str) -> Result<Panel, String> {
    let (url, origin) = resolve_url(instance_base, &row.url).ok_or_else(|| {
        format!(
            "The OpenFrame configuration {} has no usable URL ({:?}): set an http(s) URL or a \
             path on this instance.",
            row.name, row.url
        )
    })?;
    let instance_origin = origin_of(instance_base).unwrap_or_default();
    Ok(Panel {
        config_sys_id: row.sys_id.clone(),
        trusted: is_trusted(&origin, &instance_origin, whitelist),
        url,
        origin,
        title: if row.title.is_empty() {
            row.name.clone()
        } else {
            row.title.clone()
        },
        subtitle: row.subtitle.clone(),
        width: pixels(&row.width, 350),
        height: pixels(&row.height, 500),
        configuration: row.configuration.clone(),
    })
}

fn rows(db: &Db) -> Vec<ConfigRow> {
    let (Some(def), Some(data)) = (db.table_def(CONFIG_TABLE), db.data(CONFIG_TABLE)) else {
        return Vec::new();
    };
    data.iter()
        .map(|(_, record)| {
            let row = crate::store::RowView {
                db,
                table: def,
                record,
            };
            let get = |c: &str| row.get(c).to_string();
            ConfigRow {
                sys_id: get("sys_id"),
                name: get("name"),
                title: get("title"),
                subtitle: get("subtitle"),
                url: get("url"),
                width: get("width"),
                height: get("height"),
                order: get("order"),
                active: get("active"),
                default: get("default"),
                user_group: get("user_group"),
                configuration: get("configuration"),
            }
        })
        .collect()
}

fn groups_of(db: &Db, user_sys_id: &str) -> HashSet<String> {
    db.find_eq("sys_user_grmember", "user", user_sys_id)
        .iter()
        .map(|m| m.get("group").to_string())
        .collect()
}

/// The panel for a signed-in user: None without the OpenFrame role or a matching active row;
/// Err when the matching row cannot be shown (the page says why).
pub fn panel_for(instance: &Instance, actor: &Actor) -> Option<Result<Panel, String>> {
    if !actor.is_admin() && !actor.roles.contains(OPENFRAME_ROLE) {
        return None;
    }
    let whitelist = instance
        .property(props::OPENFRAME_ORIGIN_WHITELIST)
        .unwrap_or_default();
    let db = instance.db.read();
    let rows = rows(&db);
    let row = choose(&rows, &groups_of(&db, &actor.user_sys_id))?;
    Some(panel_from(row, instance.base_url(), &whitelist))
}

/// The click-to-dial payload shapes of servicenow.md §5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunicationShape {
    /// Workspace's `{"type":"OUTGOING_CALL","data":{"metaData":{"phoneNumber"},"data":[…]}}`.
    OutgoingCall,
    /// UI16's phone icon: `{"phone_number": "…"}`.
    PhoneNumber,
}

impl CommunicationShape {
    /// From `x_cb_sandbox.openframe.communication_shape`; anything but `phone_number` is the
    /// default `outgoing_call`.
    pub fn from_property(value: Option<&str>) -> CommunicationShape {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "phone_number" => CommunicationShape::PhoneNumber,
            _ => CommunicationShape::OutgoingCall,
        }
    }
}

/// The `openframe_communication` payload for a click on `phone` of the record `table`/`sys_id`.
/// The number is sent as stored (free-form `ph_number`); the record rides along as context.
pub fn communication_payload(
    shape: CommunicationShape,
    phone: &str,
    table: &str,
    sys_id: &str,
) -> Value {
    match shape {
        CommunicationShape::OutgoingCall => json!({
            "type": "OUTGOING_CALL",
            "data": {
                "metaData": {"phoneNumber": phone, "table": table, "sys_id": sys_id},
                "data": [{"entity": table, "query": format!("sys_id={sys_id}")}],
            },
        }),
        CommunicationShape::PhoneNumber => json!({
            "phone_number": phone,
            "table": table,
            "sys_id": sys_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, order: &str, active: &str, group: &str) -> ConfigRow {
        ConfigRow {
            sys_id: format!("id-{name}"),
            name: name.into(),
            title: String::new(),
            subtitle: String::new(),
            url: "https://phone.example/".into(),
            width: "350".into(),
            height: "500".into(),
            order: order.into(),
            active: active.into(),
            default: "false".into(),
            user_group: group.into(),
            configuration: String::new(),
        }
    }

    #[test]
    fn the_lowest_order_of_the_active_rows_for_the_user_wins() {
        let rows = vec![
            row("inactive", "1", "false", ""),
            row("other-group", "2", "true", "g2"),
            row("mine", "50", "true", "g1"),
            row("everyone", "100", "true", ""),
        ];
        let groups: HashSet<String> = ["g1".to_string()].into();
        assert_eq!(choose(&rows, &groups).unwrap().name, "mine");
        assert_eq!(choose(&rows, &HashSet::new()).unwrap().name, "everyone");
        assert!(choose(&rows[..2], &HashSet::new()).is_none());
    }

    #[test]
    fn urls_resolve_to_an_origin_or_are_refused() {
        assert_eq!(
            resolve_url("http://127.0.0.1:9000", "/x_softphone.do"),
            Some((
                "http://127.0.0.1:9000/x_softphone.do".into(),
                "http://127.0.0.1:9000".into()
            ))
        );
        assert_eq!(
            resolve_url("https://i.example", "https://Phone.Example:8443/app/?a=1"),
            Some((
                "https://Phone.Example:8443/app/?a=1".into(),
                "https://phone.example:8443".into()
            ))
        );
        for bad in [
            "javascript:alert(1)",
            "//evil.example/",
            "https://user@evil.example/",
            "ftp://x/",
            "",
        ] {
            assert_eq!(resolve_url("https://i.example", bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_instance_and_whitelisted_origins_are_trusted() {
        let me = "https://i.example";
        assert!(is_trusted(me, me, ""));
        assert!(is_trusted(
            "http://127.0.0.1:8080",
            me,
            "https://a.example, http://127.0.0.1:8080/"
        ));
        assert!(!is_trusted(
            "http://127.0.0.1:8081",
            me,
            "http://127.0.0.1:8080"
        ));
    }

    #[test]
    fn both_click_to_dial_shapes_carry_the_number_and_the_record() {
        let outgoing = communication_payload(
            CommunicationShape::OutgoingCall,
            "+1 858 287 7834",
            "customer_contact",
            "abc",
        );
        assert_eq!(outgoing["type"], "OUTGOING_CALL");
        assert_eq!(
            outgoing["data"]["metaData"]["phoneNumber"],
            "+1 858 287 7834"
        );
        assert_eq!(outgoing["data"]["data"][0]["entity"], "customer_contact");
        assert_eq!(outgoing["data"]["data"][0]["query"], "sys_id=abc");
        let ui16 = communication_payload(
            CommunicationShape::PhoneNumber,
            "858-287-7834",
            "csm_consumer",
            "def",
        );
        assert_eq!(
            ui16,
            json!({"phone_number": "858-287-7834", "table": "csm_consumer", "sys_id": "def"})
        );
        assert_eq!(
            CommunicationShape::from_property(Some(" Phone_Number ")),
            CommunicationShape::PhoneNumber
        );
        assert_eq!(
            CommunicationShape::from_property(None),
            CommunicationShape::OutgoingCall
        );
    }
}
