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
            print!(
                "{}",
                callbridge_integration::doctor::render_text_ja(&report)
            );
        } else {
            print!("{}", callbridge_integration::doctor::render_text(&report));
        }
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
}
