//! What an agent's own CRM account must be able to read for Callbridge to work for them: every
//! lookup table (the screen pop searches them with the agent's token) and the Case table (the
//! agent is shown, and assigned, their Cases). Checked with the agent's own token at link time
//! and by `doctor` for every linked agent, so one rule decides both.

use crate::{csm_role, read_access, ApiError, Auth, ReadAccess, TableClient};

use crate::adapter::ServiceNowConfig;

pub use callbridge_crm::{describe_missing as describe, roles_to_grant, MissingRead};

/// Reads one row of every required table with `auth`; the ones refused (403).
pub async fn missing_reads(
    client: &TableClient,
    auth: &Auth,
    sn: &ServiceNowConfig,
) -> Result<Vec<MissingRead>, ApiError> {
    let mut missing = Vec::new();
    let case_table = &sn.case.table;
    let lookups = sn.lookup.tables.iter().map(|l| (&l.table, "caller lookup"));
    let case = std::iter::once((case_table, "Cases"));
    for (table, purpose) in lookups.chain(case) {
        if missing
            .iter()
            .any(|m: &MissingRead| m.table == table.as_str())
        {
            continue;
        }
        if let ReadAccess::Denied(refusal) = read_access(client, auth, table).await? {
            missing.push(MissingRead {
                table: table.as_str().to_string(),
                purpose,
                role: csm_role(table.as_str()),
                refusal,
            });
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(table: &str, role: Option<&'static str>) -> MissingRead {
        MissingRead {
            table: table.into(),
            purpose: "caller lookup",
            role,
            refusal: "Insufficient rights to query records".into(),
        }
    }

    #[test]
    fn the_description_names_every_table_and_the_role_that_grants_it() {
        let list = [
            missing("customer_contact", Some("sn_customerservice_agent")),
            missing("u_vip", None),
            missing("csm_consumer", Some("sn_customerservice_agent")),
        ];
        assert_eq!(
            describe(&list),
            "customer_contact (caller lookup; granted by role sn_customerservice_agent), \
             u_vip (caller lookup; granted by the role its read ACL requires) and \
             csm_consumer (caller lookup; granted by role sn_customerservice_agent)"
        );
        assert_eq!(roles_to_grant(&list), ["sn_customerservice_agent"]);
    }
}
