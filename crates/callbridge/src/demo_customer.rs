//! The demo's customer side: a second, demo-only tenant (`demo-carrier`) that stands in for the
//! customers and their carrier. Its one agent, `customer`, is the browser page a person plays a
//! customer from (`/demo/customer`). Its trunk points at the demo's own SIP listener and may
//! present a caller id per call (`caller_id_per_call`), so a call from the page enters the
//! contact center through the real SIP trunk with the number the person chose; the seeded
//! contacts' numbers are its DIDs, and the contact center's trunk points at the same listener,
//! so an agent's click-to-dial to one of those numbers rings the page.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use callbridge_phone::{classify, CallerId, Region};
use callbridge_servicenow::{Auth, ColumnName, Query, TableClient, TableName};
use callbridge_web::demo_customer::{DemoCaller, DemoCustomerPage};

pub const TENANT: &str = "demo-carrier";
pub const AGENT: &str = "customer";
const QUEUE: &str = "customer";

/// The tables and number columns the demo tenant looks callers up in (the lookup's defaults):
/// a number in another column would call in without a screen pop.
const LOOKED_UP: [(&str, &[&str]); 2] = [
    ("customer_contact", &["phone", "mobile_phone"]),
    ("csm_consumer", &["business_phone", "mobile_phone"]),
];

/// The numbers the CRM holds, read as the demo tenant reads a caller id (`region`), each with
/// the names of the records that hold it. Only numbers whose stored text the screen-pop lookup
/// finds for that caller id are kept (one of its `storage_variants`): a US number stored without
/// its country code also reads as a Japanese number, but calling from that one would pop nobody.
/// Sorted by the first name that holds them, then by number.
pub fn callers_from(records: &[(String, String)], region: Region) -> Vec<DemoCaller> {
    let mut by_number: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, stored) in records {
        let found_as = |number: &callbridge_phone::E164| {
            callbridge_phone::storage_variants(number)
                .iter()
                .any(|variant| variant == stored.trim())
        };
        if let CallerId::Dialable(number) = classify(stored, region) {
            if !found_as(&number) {
                continue;
            }
            let names = by_number.entry(number.as_str().to_string()).or_default();
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let mut callers: Vec<DemoCaller> = by_number
        .into_iter()
        .map(|(number, mut names)| {
            names.sort();
            DemoCaller {
                number,
                name: names.join(", "),
            }
        })
        .collect();
    callers.sort_by(|a, b| a.name.cmp(&b.name).then(a.number.cmp(&b.number)));
    callers
}

/// Reads (name, stored number) of every record the demo tenant looks callers up in, as the
/// sandbox's admin.
pub async fn crm_numbers(
    client: &TableClient,
    admin: &Auth,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut numbers = Vec::new();
    for (table, columns) in LOOKED_UP {
        let table = TableName::new(table)?;
        let mut fields = vec![ColumnName::new("name")?];
        for column in columns {
            fields.push(ColumnName::new(*column)?);
        }
        let records = client
            .list(admin, &table, &Query::new(), &fields, 1000)
            .await?;
        for record in records {
            let name = record.get_or_empty("name").trim().to_string();
            for column in columns {
                if let Some(stored) = record.non_empty(column) {
                    numbers.push((name.clone(), stored.to_string()));
                }
            }
        }
    }
    Ok(numbers)
}

/// What the web edge serves the page.
pub fn page(contact_center: &str, callers: Vec<DemoCaller>) -> DemoCustomerPage {
    DemoCustomerPage {
        tenant: TENANT.to_string(),
        agent: AGENT.to_string(),
        contact_center: contact_center.to_string(),
        callers,
    }
}

/// The carrier tenant's part of the demo's configuration. `crm` is the contact center's CRM
/// section (every tenant names one; this tenant's only agent never links an account, so it is
/// never asked anything).
pub fn config_section(sip: SocketAddr, crm: &str, callers: &[DemoCaller]) -> String {
    let default_caller = callers
        .first()
        .map_or("+819012345678", |c| c.number.as_str());
    let mut text = format!(
        r#"
[[tenant]]
id = "{TENANT}"
name = "Callbridge demo: the customers' side"
default_region = "JP"
{crm}
[tenant.telephony]
allowed_sources = ["127.0.0.1"]

[tenant.telephony.trunk]
host = "{host}"
port = {port}
caller_id = "{default_caller}"
caller_id_per_call = true

[[tenant.telephony.queue]]
id = "{QUEUE}"
waiting = "ringback"
ring_timeout_secs = 60
max_wait_secs = 60

[[tenant.telephony.agent]]
name = "{AGENT}"
queues = ["{QUEUE}"]

[tenant.telephony.recordings]
store = "local"
path = "recordings"
"#,
        host = sip.ip(),
        port = sip.port(),
    );
    for caller in callers {
        text.push_str(&format!(
            "\n[[tenant.telephony.number]]\ndid = \"{}\"\nqueue = \"{QUEUE}\"\n",
            caller.number
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_are_the_dialable_numbers_with_every_name_that_holds_them() {
        let jp = Region::parse("JP").unwrap();
        let records: Vec<(String, String)> = [
            ("Haruto Tanaka", "090-1234-5678"),
            ("Haruto Tanaka", "03-1234-5678"),
            ("Yui Sato", "+81 3-1234-5678"),
            ("James Wilson", "858-287-7800 ext. 12"),
            ("Daniel Kim", "(415) 555-0142"),
            ("Emily Carter", "+16692627777"),
        ]
        .iter()
        .map(|(n, p)| (n.to_string(), p.to_string()))
        .collect();
        let callers = callers_from(&records, jp);
        let shown: Vec<(&str, &str)> = callers
            .iter()
            .map(|c| (c.name.as_str(), c.number.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Emily Carter", "+16692627777"),
                ("Haruto Tanaka", "+819012345678"),
                ("Haruto Tanaka, Yui Sato", "+81312345678"),
            ]
        );
    }
}
