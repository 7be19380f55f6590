//! `callbridge demo`: the ServiceNow sandbox with demo data, set up by its admin the way a
//! customer's admin would (Case columns for the caller number and recording link, the
//! client_credentials grant with an application user, our redirect URL), and the Callbridge
//! integration server pointed at it, all on loopback and embedded defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use callbridge_integration::linking;
use callbridge_sandbox::{private, SandboxOptions, Seed};
use callbridge_servicenow::{setup, Auth, Instance, InstanceConfig, TableClient};
use callbridge_store::{Role, SecretKey, Store};
use callbridge_web::account::password;
use callbridge_web::account::provision::{self, Wanted};

pub struct DemoOptions {
    pub sandbox_listen: SocketAddr,
    pub listen: SocketAddr,
    /// Where the demo's SIP trunk side listens (UDP and TCP).
    pub sip_listen: SocketAddr,
    /// Where click-to-dial calls go (the outbound trunk's host and port).
    pub outbound_trunk: SocketAddr,
    pub data: Option<PathBuf>,
}

/// The number customers call in the demo (queue `support`, no after-call work).
const DEMO_DID: &str = "+81312345000";
/// The demo's second number (queue `billing`): each call there is followed by
/// [`DEMO_WRAP_UP_SECS`] of after-call work, to try the disposition and notes written to the
/// call's Case.
const DEMO_BILLING_DID: &str = "+81312345001";
const DEMO_WRAP_UP_SECS: u32 = 60;
/// The OAuth client secret, referenced from the generated configuration by `file =`.
const CLIENT_SECRET_FILE: &str = "servicenow-client.secret";

pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    owner_only_by_default();
    let temp = tempfile_dir(options.data.as_deref())?;
    let dir = temp.path().to_path_buf();
    let sandbox = callbridge_sandbox::start(SandboxOptions {
        listen: options.sandbox_listen,
        data_dir: Some(dir.join("sandbox")),
        seed: Seed::Demo,
        contacts: 0,
        insecure_http: false,
    })
    .await?;
    let ca_path = sandbox
        .ca_path
        .clone()
        .context("the sandbox serves HTTPS")?;
    let public_url = format!("http://{}", options.listen);
    let crm_numbers = prepare_sandbox(&sandbox, &ca_path, &public_url)
        .await
        .context("setting the sandbox up for Callbridge")?;
    let mut callers =
        crate::demo_customer::callers_from(&crm_numbers, callbridge_phone::Region::parse("JP")?);
    // Haruto Tanaka's mobile first: one contact pops for it.
    if let Some(at) = callers.iter().position(|c| c.number == DEMO_CALLER) {
        let first = callers.remove(at);
        callers.insert(0, first);
    }

    read_or_create(&dir.join("master.key"), || {
        SecretKey::generate().to_base64()
    })?;
    // The configuration names secrets by file, as production should: it holds none itself.
    private::write_file(
        &dir.join(CLIENT_SECRET_FILE),
        sandbox.credentials.client_secret.as_bytes(),
    )?;
    for data in ["spool", "recordings"] {
        private::create_dir(&dir.join(data))?;
    }
    write_sipp_files(&dir)?;
    let events_secret = read_or_create(&dir.join("events.secret"), random_secret)?;
    let config_text = config_text(&DemoConfig {
        listen: options.listen,
        public_url: &public_url,
        sip_listen: options.sip_listen,
        outbound_trunk: options.outbound_trunk,
        dir: &dir,
        instance_url: &sandbox.base_url,
        ca_file: &ca_path,
        client_id: &sandbox.credentials.client_id,
        callers: &callers,
    });
    private::write_file(&dir.join("callbridge.toml"), config_text.as_bytes())?;
    let config = crate::server::load_config(&dir.join("callbridge.toml"))?;
    let running = crate::server::start_with_demo(
        &config,
        Some(crate::demo_customer::page(DEMO_DID, callers.clone())),
    )
    .await?;
    let accounts = demo_accounts(&dir, &running.server.store)
        .await
        .context("creating the demo's accounts")?;

    let c = &sandbox.credentials;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    println!("Callbridge demo is running.");
    println!();
    println!("ServiceNow sandbox  {}", sandbox.base_url);
    println!("  CA certificate    {}", ca_path.display());
    println!(
        "  admin             {} / {}",
        c.admin_user, c.admin_password
    );
    println!(
        "  workspace         {}/navpage.do  (sign in as an agent: contacts, Cases, click-to-dial, the softphone in the OpenFrame panel)",
        sandbox.base_url
    );
    // The people at the softphones; the integration's service account signs in by OAuth
    // client credentials and its password is nobody's business here.
    for (agent, role) in [
        ("alice.agent", "CSM agent role"),
        ("bob.agent", "CSM agent role"),
        ("carol.norole", "no CSM role"),
    ] {
        println!(
            "  agent             {agent:<13} password {}  ({role})",
            c.password(agent).unwrap_or("?")
        );
    }
    println!();
    println!("Callbridge          {public_url}");
    if callbridge_web::ui::bundled() {
        println!("  softphone         {public_url}/  (the browser softphone: sign in with tenant demo and an account below)");
        println!("  console           {public_url}/console  (admins and supervisors: ada.admin, sam.supervisor)");
    } else {
        println!(
            "  softphone         not in this build: cd ui && npm ci && npm run build, then build \
             callbridge again (./scripts/demo does both)"
        );
    }
    if callbridge_web::ui::bundled() {
        let ticket = callbridge_web::softphone_ticket(
            &config.server.master_key,
            crate::demo_customer::TENANT,
            crate::demo_customer::AGENT,
            now,
        );
        println!(
            "  customer          {public_url}{}#ticket={ticket}  (call the contact center as a customer from this browser; calls to the seeded contacts' numbers ring it)",
            callbridge_web::ui::DEMO_CUSTOMER_PATH
        );
    }
    for (account, password) in &accounts {
        println!(
            "  account           {:<15} password {password}  ({})",
            account.user, account.role
        );
    }
    println!(
        "  configuration     {}",
        dir.join("callbridge.toml").display()
    );
    println!("  call events       POST {public_url}/api/v1/tenants/demo/call-events");
    println!("  events secret     {events_secret}  (sign: X-Callbridge-Signature t=<unix>,v1=hex(HMAC-SHA256(secret, \"<t>.<body>\")))");
    println!(
        "  link CRM accounts (open in a browser, sign in as the matching agent, valid 15 min, each starts one sign-in):"
    );
    for agent in ["alice.agent", "bob.agent"] {
        let ticket = linking::ticket(&config.server.master_key, "demo", agent, now);
        println!("    {agent:<12} {public_url}/api/v1/tenants/demo/agents/{agent}/crm-link?ticket={ticket}");
    }
    println!();
    println!("Telephony");
    println!(
        "  SIP trunk         {} (UDP and TCP), number {DEMO_DID}",
        options.sip_listen
    );
    println!(
        "  after-call work   number {DEMO_BILLING_DID} (queue billing): each call is followed by {DEMO_WRAP_UP_SECS} s of after-call work (a disposition and notes, written to the call's Case); call it with --to {DEMO_BILLING_DID}"
    );
    print_call_instructions(&dir, options.sip_listen);
    println!(
        "  outbound trunk    {}{}",
        options.outbound_trunk,
        if options.outbound_trunk == options.sip_listen {
            " (this demo's own SIP listener: a seeded contact's number rings the customer page; other numbers are not found)".to_string()
        } else {
            format!(
                " (click-to-dial calls; e.g. sipp -sn uas -i {} -p {})",
                options.outbound_trunk.ip(),
                options.outbound_trunk.port()
            )
        }
    );
    println!("  recordings        {}", dir.join("recordings").display());
    println!("  softphone connections (WebSocket, valid 14 h):");
    for agent in ["alice.agent", "bob.agent"] {
        let ticket =
            callbridge_web::softphone_ticket(&config.server.master_key, "demo", agent, now);
        println!(
            "    {agent:<12} {}/api/v1/tenants/demo/agents/{agent}/softphone?ticket={ticket}",
            crate::cli::ws_url(&public_url)
        );
    }
    println!();
    println!(
        "Check the setup:    callbridge doctor --config {}",
        dir.join("callbridge.toml").display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
    sandbox.shutdown().await;
    drop(temp);
    Ok(())
}

/// Where the demo keeps its accounts' passwords (owner-only), so they stay the same across
/// restarts with the same `--data`.
const ACCOUNTS_FILE: &str = "accounts.secret";

/// The demo's accounts: the two agents of its configuration, a supervisor and an admin.
const DEMO_ACCOUNTS: [(&str, &str, Role); 4] = [
    ("alice.agent", "Alice Agent", Role::Agent),
    ("bob.agent", "Bob Agent", Role::Agent),
    ("sam.supervisor", "Sam Supervisor", Role::Supervisor),
    ("ada.admin", "Ada Admin", Role::Admin),
];

/// Makes sure each demo account exists with the password in [`ACCOUNTS_FILE`] (written with
/// random passwords the first time); the accounts with their passwords, for the banner.
async fn demo_accounts(dir: &Path, store: &Store) -> anyhow::Result<Vec<(Wanted, String)>> {
    let text = read_or_create(&dir.join(ACCOUNTS_FILE), || {
        DEMO_ACCOUNTS
            .iter()
            .map(|(user, _, _)| format!("{user} {}\n", password::generate()))
            .collect()
    })?;
    let mut accounts = Vec::new();
    for (user, display_name, role) in DEMO_ACCOUNTS {
        let saved = text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .find(|(u, _)| *u == user)
            .map(|(_, p)| p.trim().to_string());
        let secret = match saved {
            Some(p) => p,
            None => {
                // An account added to the demo after the file was written.
                let p = password::generate();
                let mut all = text.clone();
                all.push_str(&format!("\n{user} {p}\n"));
                private::write_file(&dir.join(ACCOUNTS_FILE), all.as_bytes())?;
                p
            }
        };
        let wanted = Wanted {
            tenant: "demo".to_string(),
            user: user.to_string(),
            display_name: display_name.to_string(),
            role,
        };
        match store.account("demo", user).await? {
            None => provision::create(store, &wanted, &secret).await?,
            Some(existing) => {
                let hash = existing.password_hash.clone();
                let check = secret.clone();
                let matches =
                    tokio::task::spawn_blocking(move || password::verify(Some(&hash), &check))
                        .await?;
                if !matches {
                    provision::reset_password(store, "demo", user, &secret).await?;
                }
            }
        }
        accounts.push((wanted, secret));
    }
    Ok(accounts)
}

/// A seeded contact with exactly one match, so the call pops one contact: Haruto Tanaka's
/// mobile (`090-1234-5678` in the CRM, Sakura Trading KK).
const DEMO_CALLER: &str = "+819012345678";
const DEMO_CALLER_NAME: &str = "Haruto Tanaka";
const SIPP_SCENARIO: &str = include_str!("customer-call.xml");

/// How a person places a call and what they should see.
fn print_call_instructions(dir: &Path, sip: SocketAddr) {
    let config = dir.join("callbridge.toml");
    let sip_flag = if sip == DEFAULT_SIP {
        String::new()
    } else {
        format!(" --sip {sip}")
    };
    println!(
        "  place a call      callbridge demo call --from {DEMO_CALLER}{sip_flag} --config {}",
        config.display()
    );
    println!(
        "                    one call from {DEMO_CALLER_NAME}'s mobile to {DEMO_DID}: it says \"ringing\", \"answered by <agent>\","
    );
    println!(
        "                    plays a {} Hz tone, and hangs up after 60 s (--seconds N) with \"hung up after 60 s\"",
        crate::demo_call::TONE_HZ
    );
    println!(
        "  or with sipp      sipp {sip} -sf {} -s {} -set caller {DEMO_CALLER} -m 1 -d 60000 -i {} -mi {}",
        dir.join(SIPP_SCENARIO_FILE).display(),
        DEMO_DID.trim_start_matches('+'),
        sip.ip(),
        sip.ip()
    );
    println!("  what you see      sign in to the softphone (above) as alice.agent, connect her CRM account from the page");
    println!("                    (or the link above) and go available; the call rings there with the screen pop of");
    println!("                    {DEMO_CALLER_NAME} (Sakura Trading KK); answer it and the Case (CS...) for the call");
    println!("                    appears, with its recording link; the call record and the recording follow the hang-up");
}

/// Writes the sipp scenario the banner names, with the tone it plays.
fn write_sipp_files(dir: &Path) -> anyhow::Result<()> {
    let tone = dir.join("customer-tone.wav");
    let tone_text = tone.display().to_string();
    anyhow::ensure!(
        !tone_text.contains([',', '"', '<', '&']),
        "the data directory {} has a character sipp cannot take in a file name (, \" < &); \
         choose another --data",
        dir.display()
    );
    callbridge_audio::write_tone_wav(
        &tone,
        8000,
        crate::demo_call::TONE_HZ,
        6000.0,
        std::time::Duration::from_secs(1),
    )?;
    private::tighten(&tone)?;
    private::write_file(
        &dir.join(SIPP_SCENARIO_FILE),
        SIPP_SCENARIO.replace("TONE_WAV", &tone_text).as_bytes(),
    )
}

const SIPP_SCENARIO_FILE: &str = "customer-call.xml";
const DEFAULT_SIP: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 5060);

/// The demo's data directory: the one given, or a temporary one removed at exit.
enum DemoDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl DemoDir {
    fn path(&self) -> &Path {
        match self {
            DemoDir::Kept(p) => p,
            DemoDir::Temporary(t) => t.path(),
        }
    }
}

fn tempfile_dir(data: Option<&Path>) -> anyhow::Result<DemoDir> {
    Ok(match data {
        Some(dir) => {
            private::create_dir(dir)?;
            DemoDir::Kept(dir.to_path_buf())
        }
        None => DemoDir::Temporary(
            tempfile::Builder::new()
                .prefix("callbridge-demo-")
                .tempdir()?,
        ),
    })
}

/// What the setup guide asks a customer's admin to do, done as the sandbox's admin.
/// Returns the (name, stored number) of every record callers are looked up in, for the
/// customer page.
async fn prepare_sandbox(
    sandbox: &callbridge_sandbox::RunningSandbox,
    ca: &Path,
    public_url: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let instance = Instance::new(
        InstanceConfig::new(sandbox.base_url.clone()).with_root_ca_pem(std::fs::read(ca)?),
    )?;
    let admin = Auth::basic(
        &sandbox.credentials.admin_user,
        &sandbox.credentials.admin_password,
    );
    let redirect_url = format!("{public_url}{}", linking::CALLBACK_PATH);
    // The softphone docked in the sandbox's OpenFrame panel: the page names its tenant so that it
    // lets the sandbox frame it (`?lang=` is left to the browser).
    let softphone_url = format!("{public_url}/?tenant=demo");
    let plan = setup::SetupPlan::for_default_config(
        &sandbox.credentials.client_id,
        "callbridge.integration",
        &redirect_url,
    )
    .with_softphone(&softphone_url);
    let client = TableClient::new(instance);
    setup::apply(&client, &admin, &plan).await?;
    crate::demo_customer::crm_numbers(&client, &admin).await
}

/// Everything the demo writes (recordings and their date folders, the spool, files other crates
/// create) is owner-only, not only the files named here: the data directory holds customers'
/// voices and numbers and the demo's secrets. The explicit modes below still apply, for files
/// that already existed.
fn owner_only_by_default() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

fn random_secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

/// Reads a secret file (making it owner-only if an older version left it readable), or
/// creates it owner-only with `make()`.
fn read_or_create(path: &Path, make: impl FnOnce() -> String) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        private::tighten(path)?;
        return Ok(existing.trim().to_string());
    }
    let value = make();
    private::write_file(path, value.as_bytes())?;
    Ok(value)
}

/// What the demo's configuration is made of: its addresses, data directory and sandbox.
struct DemoConfig<'a> {
    listen: SocketAddr,
    public_url: &'a str,
    sip_listen: SocketAddr,
    outbound_trunk: SocketAddr,
    dir: &'a Path,
    instance_url: &'a str,
    ca_file: &'a Path,
    client_id: &'a str,
    /// The customer page's callers: the carrier tenant's numbers.
    callers: &'a [callbridge_web::demo_customer::DemoCaller],
}

/// The demo's configuration file. It names secrets by file, as production should: it holds
/// none itself.
fn config_text(demo: &DemoConfig<'_>) -> String {
    let crm = format!(
        r#"
[tenant.servicenow]
instance_url = "{instance}"
ca_file = "{ca}"
client_id = "{client_id}"
client_secret = {{ file = "{client_secret_file}" }}

[tenant.servicenow.case]
caller_number_column = "u_caller_number"
"#,
        instance = demo.instance_url,
        ca = demo.ca_file.display(),
        client_id = demo.client_id,
        client_secret_file = CLIENT_SECRET_FILE,
    );
    let mut text = format!(
        r#"
[server]
listen = "{listen}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = {{ file = "master.key" }}

[[tenant]]
id = "demo"
name = "Callbridge demo contact center"
default_region = "JP"
call_events_secret = {{ file = "events.secret" }}
# A number clicked in the CRM gets its Case too, linked to the record it was clicked on.
auto_case_outbound = true

# What an agent picks in after-call work (the billing queue has it after every call).
[[tenant.disposition_codes]]
code = "resolved"
label_en = "Resolved"
label_ja = "解決済み"

[[tenant.disposition_codes]]
code = "follow_up"
label_en = "Follow-up needed"
label_ja = "要フォローアップ"

[[tenant.disposition_codes]]
code = "wrong_number"
label_en = "Wrong number"
label_ja = "番号違い"
{crm}
[telephony]
sip_udp = "{sip}"
sip_tcp = "{sip}"
media_bind_ip = "{sip_ip}"
rtp_ports = "30000-30999"
spool_dir = "spool"

[tenant.telephony]
allowed_sources = ["127.0.0.1"]

[tenant.telephony.trunk]
host = "{trunk_host}"
port = {trunk_port}
caller_id = "{did}"

[[tenant.telephony.number]]
did = "{did}"
queue = "support"

[[tenant.telephony.number]]
did = "{billing_did}"
queue = "billing"

[[tenant.telephony.queue]]
id = "support"
waiting = "ringback"

[[tenant.telephony.queue]]
id = "billing"
waiting = "ringback"
wrap_up_secs = {wrap_up_secs}

[[tenant.telephony.agent]]
name = "alice.agent"
queues = ["support", "billing"]

[[tenant.telephony.agent]]
name = "bob.agent"
queues = ["support", "billing"]

[tenant.telephony.recordings]
store = "local"
path = "recordings"
"#,
        sip = demo.sip_listen,
        sip_ip = demo.sip_listen.ip(),
        trunk_host = demo.outbound_trunk.ip(),
        trunk_port = demo.outbound_trunk.port(),
        did = DEMO_DID,
        billing_did = DEMO_BILLING_DID,
        wrap_up_secs = DEMO_WRAP_UP_SECS,
        listen = demo.listen,
        db = demo.dir.join("callbridge.db").display(),
        public_url = demo.public_url,
    );
    text.push_str(&crate::demo_customer::config_section(
        demo.sip_listen,
        &crm,
        demo.callers,
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's file passes the configuration's checks, so `callbridge demo` never starts
    /// from a file `serve` would refuse (its CRM section is the sandbox's, checked by the
    /// adapter when the demo starts).
    #[test]
    fn the_demos_configuration_parses() {
        let dir = tempfile::tempdir().unwrap();
        for (file, value) in [
            ("master.key", "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="),
            ("events.secret", "events"),
            (CLIENT_SECRET_FILE, "client"),
        ] {
            std::fs::write(dir.path().join(file), value).unwrap();
        }
        let ca = dir.path().join("ca.pem");
        let text = config_text(&DemoConfig {
            listen: "127.0.0.1:8080".parse().unwrap(),
            public_url: "http://127.0.0.1:8080",
            sip_listen: "127.0.0.1:5060".parse().unwrap(),
            // The default: the demo's own SIP listener, where the customer page answers.
            outbound_trunk: "127.0.0.1:5060".parse().unwrap(),
            dir: dir.path(),
            instance_url: "https://127.0.0.1:8443",
            ca_file: &ca,
            client_id: "demo-client",
            callers: &[callbridge_web::demo_customer::DemoCaller {
                number: "+819012345678".into(),
                name: "Haruto Tanaka".into(),
            }],
        });
        let path = dir.path().join("callbridge.toml");
        std::fs::write(&path, text).unwrap();
        let config = callbridge_config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let telephony = config.telephony.expect("the demo runs telephony");
        assert_eq!(telephony.tenants[0].numbers[0].number.as_str(), DEMO_DID);
        // The second number's queue has after-call work; the first's has none.
        let queues = &telephony.tenants[0].queues;
        let billing = queues.iter().find(|q| q.id.as_str() == "billing").unwrap();
        assert_eq!(
            billing.wrap_up,
            std::time::Duration::from_secs(DEMO_WRAP_UP_SECS.into())
        );
        assert_eq!(
            telephony.tenants[0].numbers[1].number.as_str(),
            DEMO_BILLING_DID
        );
        // By default the contact center's trunk and the customers' side both reach the demo's
        // own SIP listener; only the customers' side may choose its caller id per call.
        let center = telephony.tenants[0].trunk.as_ref().unwrap();
        assert_eq!((center.host.as_str(), center.port), ("127.0.0.1", 5060));
        assert!(!center.caller_id_per_call);
        let carrier = &telephony.tenants[1];
        assert_eq!(carrier.tenant.as_str(), crate::demo_customer::TENANT);
        assert!(carrier.trunk.as_ref().unwrap().caller_id_per_call);
        assert_eq!(carrier.numbers[0].number.as_str(), "+819012345678");
        assert_eq!(carrier.agents[0].name, crate::demo_customer::AGENT);
    }
}
