//! Which tenant and queue an inbound INVITE is for, and whether its sender may place it.
//!
//! The dialled number picks the tenant; the source address must be one of that tenant's
//! carriers. Anything else is refused before any media is allocated.

use std::collections::HashMap;
use std::net::IpAddr;

use callbridge_core::{QueueId, TenantId};
use callbridge_phone::Region;

use callbridge_config::telephony::{IpNetwork, TelephonyConfig};

/// Where an admitted call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub tenant: TenantId,
    pub queue: QueueId,
    /// The tenant's `default_region`: how the caller's number is read.
    pub region: Region,
}

/// Why an INVITE is refused, with the SIP status the carrier gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No tenant routes the number (404).
    UnknownNumber(String),
    /// The sender is not one of the tenant's carriers (403).
    ForeignSource { tenant: TenantId, source: IpAddr },
}

impl Refused {
    pub fn status(&self) -> u16 {
        match self {
            Refused::UnknownNumber(_) => 404,
            Refused::ForeignSource { .. } => 403,
        }
    }
}

#[derive(Debug)]
pub struct Admission {
    routes: HashMap<String, Route>,
    sources: HashMap<TenantId, Vec<IpNetwork>>,
}

impl Admission {
    /// The routes of every tenant's numbers. `region_of` gives each tenant's region (its
    /// `[[tenant]]` entry's `default_region`); a tenant with telephony settings but no region is
    /// a configuration error, never a silent default.
    pub fn new(
        config: &TelephonyConfig,
        region_of: impl Fn(&TenantId) -> Option<Region>,
    ) -> Result<Admission, String> {
        let mut routes = HashMap::new();
        let mut sources = HashMap::new();
        for tenant in &config.tenants {
            let region = region_of(&tenant.tenant).ok_or_else(|| {
                format!(
                    "tenant {} has telephony settings but no [[tenant]] entry: add one with \
                     id = \"{}\" (its default_region says how callers' numbers are read)",
                    tenant.tenant, tenant.tenant
                )
            })?;
            for number in &tenant.numbers {
                routes.insert(
                    number.digits().to_string(),
                    Route {
                        tenant: tenant.tenant.clone(),
                        queue: number.queue.clone(),
                        region,
                    },
                );
            }
            sources.insert(tenant.tenant.clone(), tenant.allowed_sources.clone());
        }
        Ok(Admission { routes, sources })
    }

    /// The route for a call to `dialled` from `source`.
    pub fn admit(&self, dialled: &str, source: IpAddr) -> Result<Route, Refused> {
        let route = route_digits(dialled)
            .and_then(|digits| self.routes.get(&digits))
            .ok_or_else(|| Refused::UnknownNumber(dialled.chars().take(40).collect()))?;
        let allowed = self
            .sources
            .get(&route.tenant)
            .is_some_and(|nets| nets.iter().any(|n| n.contains(source)));
        if !allowed {
            return Err(Refused::ForeignSource {
                tenant: route.tenant.clone(),
                source,
            });
        }
        Ok(route.clone())
    }
}

/// The digits of a dialled number (a Request-URI's user part) as routes compare them:
/// `+1 (555) 123-0001` and `15551230001` are the same route. None when it has no digits or
/// anything but digits, spaces, `+ - ( ) .`.
fn route_digits(number: &str) -> Option<String> {
    if number.len() > 32
        || !number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
    {
        return None;
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn admission() -> Admission {
        let text = r#"
[server]
master_key = "x"
[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"
[[tenant]]
id = "acme"
[tenant.servicenow]
[tenant.telephony]
allowed_sources = ["192.0.2.0/24"]
[[tenant.telephony.number]]
did = "+15551230001"
queue = "support"
[[tenant.telephony.queue]]
id = "support"
[[tenant.telephony.number]]
did = "+15551230002"
queue = "sales"
[[tenant.telephony.queue]]
id = "sales"
"#;
        let config = callbridge_config::Config::parse("t.toml", text, Path::new("."), &|_| None)
            .unwrap()
            .telephony
            .unwrap();
        let us = Region::parse("US").unwrap();
        Admission::new(&config, |_| Some(us)).unwrap()
    }

    #[test]
    fn route_digits_compare_formats_and_refuse_junk() {
        assert_eq!(
            route_digits("+1 (555) 123-0001").as_deref(),
            Some("15551230001")
        );
        assert_eq!(route_digits("15551230001").as_deref(), Some("15551230001"));
        assert_eq!(route_digits("sip:evil"), None);
        assert_eq!(route_digits(""), None);
        assert_eq!(route_digits("+"), None);
    }

    #[test]
    fn the_dialled_number_picks_the_queue_whatever_its_format() {
        let a = admission();
        let carrier: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            a.admit("+15551230002", carrier).unwrap().queue.as_str(),
            "sales"
        );
        assert_eq!(
            a.admit("15551230001", carrier).unwrap().queue.as_str(),
            "support"
        );
    }

    #[test]
    fn a_tenant_without_a_region_is_a_configuration_error_naming_it() {
        let text = r#"
[server]
master_key = "x"
[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"
[[tenant]]
id = "acme"
[tenant.servicenow]
[tenant.telephony]
allowed_sources = ["192.0.2.0/24"]
[[tenant.telephony.number]]
did = "+15551230001"
queue = "support"
[[tenant.telephony.queue]]
id = "support"
"#;
        let config = callbridge_config::Config::parse("t.toml", text, Path::new("."), &|_| None)
            .unwrap()
            .telephony
            .unwrap();
        let err = Admission::new(&config, |_| None).err().unwrap();
        assert!(err.contains("tenant acme"), "{err}");
        assert!(err.contains("default_region"), "{err}");
    }

    #[test]
    fn the_route_carries_the_tenants_region() {
        let a = admission();
        let carrier: IpAddr = "192.0.2.7".parse().unwrap();
        let route = a.admit("+15551230001", carrier).unwrap();
        assert_eq!(route.region, Region::parse("US").unwrap());
    }

    #[test]
    fn unknown_numbers_and_foreign_senders_are_refused() {
        let a = admission();
        let carrier: IpAddr = "192.0.2.7".parse().unwrap();
        let stranger: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(a.admit("+15559999999", carrier).unwrap_err().status(), 404);
        assert_eq!(
            a.admit("sip-injection'--", carrier).unwrap_err().status(),
            404
        );
        assert_eq!(a.admit("+15551230001", stranger).unwrap_err().status(), 403);
    }
}
