//! `callbridge doctor`: runs the integration's setup checks, and telephony's when the file has a
//! `[telephony]` section, and prints them, for the file's tenants and the store's.

use crate::cli::DoctorArgs;

pub async fn run(args: DoctorArgs) -> anyhow::Result<std::process::ExitCode> {
    // The file's tenants and the store's (`callbridge tenant add`), as a server serves them.
    let (config, store) = crate::tenant::open_effective(&args.config.config).await?;
    store.close().await;
    let options = callbridge_integration::doctor::DoctorOptions {
        write_probe: !args.no_write,
    };
    let mut report = callbridge_integration::doctor::run_with(
        &config,
        &crate::server::crm_kinds(),
        args.tenant.as_deref(),
        options,
    )
    .await;
    if let Some(telephony) = &config.telephony {
        for tenant in &mut report.tenants {
            let checks =
                callbridge_telephony::doctor::check_tenant(telephony, &tenant.tenant).await;
            tenant.checks.extend(checks);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let env = |name: &str| std::env::var(name).ok();
        if japanese(env("LC_ALL"), env("LC_MESSAGES"), env("LANG")) {
            in_japanese(&mut report);
        }
        print!("{}", callbridge_integration::doctor::render_text(&report));
    }
    Ok(if report.failed() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// Whether the locale asks for Japanese: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is
/// set and not empty, as POSIX orders them (`ja_JP.UTF-8`, `ja`).
fn japanese(lc_all: Option<String>, lc_messages: Option<String>, lang: Option<String>) -> bool {
    [lc_all, lc_messages, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .is_some_and(|v| v == "ja" || v.starts_with("ja_") || v.starts_with("ja."))
}

/// The titles in Japanese from the console's catalog (the same words the Setup page shows);
/// what was found and the fix stay English, as in the console. `--json` stays English.
fn in_japanese(report: &mut callbridge_integration::doctor::Report) {
    for check in report.tenants.iter_mut().flat_map(|t| t.checks.iter_mut()) {
        if let Some(title) =
            callbridge_web::console::setup::titles_ja::title_ja(&check.id, &check.title)
        {
            check.title = title;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_asks_for_japanese_in_posix_order() {
        let s = |v: &str| Some(v.to_string());
        assert!(japanese(None, None, s("ja_JP.UTF-8")));
        assert!(japanese(None, None, s("ja")));
        assert!(!japanese(None, None, s("en_US.UTF-8")));
        assert!(!japanese(None, None, None));
        assert!(!japanese(s("C"), None, s("ja_JP.UTF-8")), "LC_ALL wins");
        assert!(
            japanese(s(""), s("ja_JP.UTF-8"), s("en_US.UTF-8")),
            "an empty one is unset"
        );
        assert!(!japanese(None, None, s("jav_ID")));
    }

    #[test]
    fn a_report_in_japanese_keeps_what_was_found_in_english() {
        use callbridge_integration::doctor::{Check, Report, TenantReport};
        let mut report = Report {
            tenants: vec![TenantReport {
                tenant: "acme".into(),
                checks: vec![
                    Check::pass("rate_limit", "Rate-limit headroom", "no rule applies"),
                    Check::pass("something.new", "Something new", "found"),
                ],
            }],
        };
        in_japanese(&mut report);
        let checks = &report.tenants[0].checks;
        assert_eq!(checks[0].title, "レート制限の余裕");
        assert_eq!(checks[0].detail, "no rule applies");
        assert_eq!(checks[1].title, "Something new");
    }
}
