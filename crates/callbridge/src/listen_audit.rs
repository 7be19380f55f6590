//! `callbridge listen-audit`: a tenant's listen audit (every open of a recording page, every
//! media fetch, every retention deletion) as a table or as CSV.

use std::path::PathBuf;

use anyhow::Context;
use callbridge_store::ListenEntry;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};

#[derive(clap::Args, Debug)]
pub struct ListenAuditArgs {
    /// The configuration file (see docs/configuration.md).
    #[arg(long, short, default_value = "callbridge.toml")]
    pub config: PathBuf,
    #[arg(long)]
    pub tenant: String,
    /// From when: an RFC 3339 time (2026-12-01T09:00:00Z), a UTC date (2026-12-01), or a
    /// period back from now (7d, 24h). Default: everything.
    #[arg(long)]
    pub since: Option<String>,
    /// CSV (RFC 4180, with a header row) instead of a table.
    #[arg(long)]
    pub csv: bool,
}

/// Reads `--since`.
pub fn parse_since(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(text, &date_format) {
        return Ok(d.midnight().assume_utc());
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    if let Ok(n) = number.parse::<i64>() {
        match unit {
            "d" => return Ok(now - Duration::days(n)),
            "h" => return Ok(now - Duration::hours(n)),
            _ => {}
        }
    }
    Err(format!(
        "--since {text:?} is not a time: write an RFC 3339 time (2026-12-01T09:00:00Z), a UTC date \
         (2026-12-01) or a period back from now (7d, 24h)"
    ))
}

fn time_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub const CSV_HEADER: &str = "at,tenant,call_id,action,viewer,crm_user_id,source,allowed,reason";

pub fn csv_line(e: &ListenEntry) -> String {
    callbridge_web::csv::line(&[
        time_text(e.at),
        e.tenant.clone(),
        e.call_id.clone(),
        e.action.as_str().to_string(),
        e.viewer.clone(),
        e.crm_user_id.clone().unwrap_or_default(),
        e.source.clone(),
        if e.allowed { "allowed" } else { "refused" }.to_string(),
        e.reason.clone(),
    ])
}

fn table_line(e: &ListenEntry) -> String {
    format!(
        "{}  {:<9} {:<32} {:<24} {:<15} {:<7} {}",
        time_text(e.at),
        e.action.as_str(),
        e.call_id,
        e.viewer,
        e.source,
        if e.allowed { "allowed" } else { "refused" },
        e.reason
    )
}

pub async fn run(args: ListenAuditArgs) -> anyhow::Result<()> {
    let config = crate::server::load_config(&args.config)?;
    anyhow::ensure!(
        config.tenants.iter().any(|t| t.id.as_str() == args.tenant),
        "tenant {:?} is not in {}; the tenants are: {}",
        args.tenant,
        args.config.display(),
        config
            .tenants
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let since = match &args.since {
        Some(text) => parse_since(text, OffsetDateTime::now_utc()).map_err(anyhow::Error::msg)?,
        None => OffsetDateTime::UNIX_EPOCH,
    };
    let key = callbridge_store::SecretKey::from_base64(config.server.master_key.expose())
        .context("server.master_key")?;
    let store = callbridge_store::Store::open(&config.server.database_url, key).await?;
    let entries = store.listen_audit(&args.tenant, since).await;
    store.close().await;
    let entries = entries?;
    if args.csv {
        println!("{CSV_HEADER}");
        for e in &entries {
            println!("{}", csv_line(e));
        }
    } else if entries.is_empty() {
        println!("no listen audit entries for tenant {}", args.tenant);
    } else {
        for e in &entries {
            println!("{}", table_line(e));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_store::ListenAction;

    #[test]
    fn since_takes_times_dates_and_periods() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert_eq!(
            parse_since("2026-12-01T09:00:00Z", now)
                .unwrap()
                .unix_timestamp(),
            1_796_115_600
        );
        assert_eq!(
            parse_since("2026-12-01", now).unwrap().unix_timestamp(),
            1_796_083_200
        );
        assert_eq!(
            parse_since("7d", now).unwrap().unix_timestamp(),
            1_800_000_000 - 7 * 86_400
        );
        assert_eq!(
            parse_since("24h", now).unwrap().unix_timestamp(),
            1_800_000_000 - 86_400
        );
        let err = parse_since("yesterday", now).unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let e = ListenEntry {
            tenant: "acme".into(),
            call_id: "c-1".into(),
            at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            action: ListenAction::Open,
            viewer: "=HYPERLINK(\"x\")".into(),
            crm_user_id: None,
            source: "127.0.0.1".into(),
            allowed: false,
            reason: "the CRM refused, said \"no\"".into(),
        };
        assert_eq!(
            csv_line(&e),
            "2027-01-15T08:00:00Z,acme,c-1,open,\"'=HYPERLINK(\"\"x\"\")\",,127.0.0.1,refused,\"the CRM refused, said \"\"no\"\"\""
        );
    }
}
