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
        print!("{}", callbridge_integration::doctor::render_text(&report));
    }
    Ok(if report.failed() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    })
}
