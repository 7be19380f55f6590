//! `[telephony]` and `[tenant.telephony]`: defaults, and each mistake at its key.

use std::path::Path;
use std::time::Duration;

use callbridge_config::telephony::{
    IpNetwork, RecordingStorage, S3Credentials, TelephonyConfig, Transport, Unserved,
    WaitingTreatment,
};
use callbridge_config::{Config, ConfigError};
use callbridge_core::{QueueId, TenantId};

const BASE: &str = r#"
[server]
master_key = "x"

[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"
rtp_ports = "30000-30100"

[[tenant]]
id = "acme"
[tenant.servicenow]
instance_url = "https://acme.service-now.com"

[tenant.telephony]
allowed_sources = ["127.0.0.1", "198.51.100.0/24"]
[tenant.telephony.trunk]
host = "127.0.0.1"
port = 5070
caller_id = "+15551230000"
username = "acme"
password = { env = "TRUNK_PASSWORD" }
[[tenant.telephony.number]]
did = "+1 (555) 123-0001"
queue = "support"
[[tenant.telephony.queue]]
id = "support"
waiting = "music"
[[tenant.telephony.agent]]
name = "alice"
queues = ["support"]
"#;

fn parse(text: &str) -> Result<Option<TelephonyConfig>, ConfigError> {
    let env = |k: &str| (k == "TRUNK_PASSWORD").then(|| "s3cret".to_string());
    Config::parse("callbridge.toml", text, Path::new("/etc/callbridge"), &env)
        .map(|c| c.telephony)
        .map_err(|errors| errors.first().clone())
}

fn error(text: &str) -> ConfigError {
    parse(text).expect_err("the file should be refused")
}

#[test]
fn a_file_without_a_telephony_section_runs_the_integration_alone() {
    let text = "[server]\nmaster_key = \"x\"\n[[tenant]]\nid = \"acme\"\n[tenant.servicenow]\n";
    assert!(parse(text).unwrap().is_none());
}

#[test]
fn a_complete_section_is_validated_with_defaults_filled_in() {
    let config = parse(BASE).unwrap().unwrap();
    assert_eq!(config.sip.udp, Some("127.0.0.1:5060".parse().unwrap()));
    assert_eq!(config.media.public_ip.to_string(), "127.0.0.1");
    assert_eq!(config.media.rtp_ports, 30000..=30100);
    assert_eq!(config.media.media_timeout, Duration::from_secs(30));
    assert_eq!(config.spool_dir, Path::new("/etc/callbridge/spool"));
    let acme = config.tenant(&TenantId::new("acme")).unwrap();
    assert_eq!(acme.numbers[0].digits(), "15551230001");
    assert_eq!(acme.numbers[0].number.as_str(), "+15551230001");
    let trunk = acme.trunk.as_ref().unwrap();
    assert_eq!(trunk.password.as_ref().unwrap().expose(), "s3cret");
    assert_eq!(trunk.transport, Transport::Udp);
    assert_eq!(trunk.caller_id.as_str(), "+15551230000");
    assert!(
        !trunk.caller_id_per_call,
        "a caller id per call is off unless the file says so"
    );
    let queue = &acme.queues[0];
    assert_eq!(queue.waiting, WaitingTreatment::Music);
    assert_eq!(queue.ring_timeout, Duration::from_secs(20));
    assert_eq!(queue.no_agent, Unserved::Busy);
    assert_eq!(queue.service_level, Duration::from_secs(20));
    assert_eq!(acme.agents[0].queues, vec![QueueId::new("support")]);
    assert!(
        matches!(&acme.recordings, RecordingStorage::Local { root } if root == Path::new("/etc/callbridge/recordings"))
    );
    assert!(acme
        .allowed_sources
        .iter()
        .any(|n| n.contains("198.51.100.77".parse().unwrap())));
    assert!(!acme
        .allowed_sources
        .iter()
        .any(|n| n.contains("198.51.101.1".parse().unwrap())));
}

#[test]
fn the_agents_grace_period_is_20_s_unless_set_and_bounded_with_a_located_error() {
    let config = parse(BASE).unwrap().unwrap();
    assert_eq!(config.agent_grace, Duration::from_secs(20));
    let with = |value: &str| {
        BASE.replace(
            "rtp_ports = \"30000-30100\"",
            &format!("rtp_ports = \"30000-30100\"\nagent_grace_secs = {value}"),
        )
    };
    let config = parse(&with("45")).unwrap().unwrap();
    assert_eq!(config.agent_grace, Duration::from_secs(45));
    let config = parse(&with("0")).unwrap().unwrap();
    assert_eq!(
        config.agent_grace,
        Duration::ZERO,
        "0 turns the grace period off"
    );
    let e = error(&with("121"));
    assert_eq!(e.key, "telephony.agent_grace_secs");
    assert_eq!(e.problem, "121 is out of range");
    assert!(e.fix.contains("from 0 to 120"), "{}", e.fix);
    let location = e.location.expect("the error says where");
    assert_eq!(location.line, 9, "{e:?}");
    let e = error(&with("-1"));
    assert_eq!(e.key, "telephony.agent_grace_secs");
    assert!(e.fix.contains("from 0 to 120"), "{}", e.fix);
    let e = error(&with("\"20s\""));
    assert_eq!(e.key, "telephony.agent_grace_secs");
    assert!(e.problem.contains("whole number"), "{}", e.problem);
}

#[test]
fn a_caller_id_per_call_is_allowed_only_by_the_trunks_setting() {
    let text = BASE.replace(
        "caller_id = \"+15551230000\"",
        "caller_id = \"+15551230000\"\ncaller_id_per_call = true",
    );
    let config = parse(&text).unwrap().unwrap();
    assert!(config.tenants[0].trunk.as_ref().unwrap().caller_id_per_call);
    let e = error(&BASE.replace(
        "caller_id = \"+15551230000\"",
        "caller_id = \"+15551230000\"\ncaller_id_per_call = \"yes\"",
    ));
    assert_eq!(e.key, "tenant[0].telephony.trunk.caller_id_per_call");
}

#[test]
fn a_did_without_a_plus_is_read_in_the_tenants_region() {
    let config = parse(&BASE.replace("did = \"+1 (555) 123-0001\"", "did = \"15551230001\""))
        .unwrap()
        .unwrap();
    assert_eq!(config.tenants[0].numbers[0].number.as_str(), "+15551230001");
}

#[test]
fn mistakes_name_the_key_and_the_fix() {
    let e = error(&BASE.replace(
        "queue = \"support\"\n[[tenant.telephony.queue]]",
        "queue = \"sales\"\n[[tenant.telephony.queue]]",
    ));
    assert_eq!(e.key, "tenant[0].telephony.number[0].queue");
    assert!(e.problem.contains("no queue \"sales\""), "{e}");
    assert!(e.fix.contains("\"support\""), "{e}");

    let e = error(&BASE.replace("rtp_ports = \"30000-30100\"", "rtp_ports = \"30000\""));
    assert_eq!(e.key, "telephony.rtp_ports");

    let e = error(&BASE.replace("caller_id = \"+15551230000\"", "caller_id = \"555-1234\""));
    assert_eq!(e.key, "tenant[0].telephony.trunk.caller_id");
    assert!(e.problem.contains("starts with '+'"), "{e}");

    let e = error(&BASE.replace("did = \"+1 (555) 123-0001\"", "did = \"+1 555 abc\""));
    assert_eq!(e.key, "tenant[0].telephony.number[0].did");

    let e = error(&BASE.replace(
        "allowed_sources = [\"127.0.0.1\", \"198.51.100.0/24\"]",
        "allowed_sources = []",
    ));
    assert_eq!(e.key, "tenant[0].telephony.allowed_sources");
    assert!(e.fix.contains("carrier"), "{e}");

    let e = error(&BASE.replace("\"198.51.100.0/24\"", "\"198.51.100.0/33\""));
    assert_eq!(e.key, "tenant[0].telephony.allowed_sources[1]");

    let e = error(&BASE.replace("waiting = \"music\"", "waiting = \"jazz\""));
    assert_eq!(e.key, "tenant[0].telephony.queue[0].waiting");

    let e = error(&BASE.replace(
        "waiting = \"music\"",
        "waiting = \"music\"\nno_agent = \"announcement\"",
    ));
    assert_eq!(e.key, "tenant[0].telephony.queue[0].announcement");

    let e = error(&BASE.replace(
        "password = { env = \"TRUNK_PASSWORD\" }",
        "password = { env = \"UNSET\" }",
    ));
    assert_eq!(e.key, "tenant[0].telephony.trunk.password");
    assert!(e.problem.contains("UNSET"), "{e}");

    let e = error(&BASE.replace(
        "rtp_ports",
        "sip_public_ip = \"sip.example.com\"\nrtp_ports",
    ));
    assert_eq!(e.key, "telephony.sip_public_ip");

    let e = error(&BASE.replace("media_bind_ip = \"127.0.0.1\"", ""));
    assert_eq!(e.key, "telephony.public_ip");

    let e = error(&BASE.replace("name = \"alice\"", "name = \"acme:alice\""));
    assert_eq!(e.key, "tenant[0].telephony.agent[0].name");
}

#[test]
fn a_queue_service_level_target_is_read_and_a_bad_one_located() {
    let config = parse(&BASE.replace(
        "waiting = \"music\"",
        "waiting = \"music\"\nservice_level_secs = 30",
    ))
    .unwrap()
    .unwrap();
    assert_eq!(
        config.tenants[0].queues[0].service_level,
        Duration::from_secs(30)
    );
    for bad in ["0", "3601", "\"20s\"", "-5"] {
        let e = error(&BASE.replace(
            "waiting = \"music\"",
            &format!("waiting = \"music\"\nservice_level_secs = {bad}"),
        ));
        assert_eq!(
            e.key, "tenant[0].telephony.queue[0].service_level_secs",
            "{bad}"
        );
        assert!(e.fix.contains("from 1 to 3600"), "{bad}: {e}");
        assert_eq!(e.location.unwrap().line, 29, "{bad}: {e}");
    }
}

#[test]
fn unknown_keys_are_refused_rather_than_silently_ignored() {
    let e = error(&BASE.replace(
        "waiting = \"music\"",
        "waiting = \"music\"\nring_timeout = 20",
    ));
    assert!(e.problem.contains("ring_timeout"), "{e}");
    assert_eq!(e.key, "tenant[0].telephony.queue[0].ring_timeout");
    assert!(e.fix.contains("`ring_timeout_secs`"), "{e}");
}

#[test]
fn a_number_routed_by_two_tenants_is_refused() {
    let second = r#"
[[tenant]]
id = "globex"
[tenant.servicenow]
[tenant.telephony]
allowed_sources = ["127.0.0.1"]
[[tenant.telephony.number]]
did = "15551230001"
queue = "q"
[[tenant.telephony.queue]]
id = "q"
"#;
    let e = error(&format!("{BASE}{second}"));
    assert!(e.problem.contains("+15551230001 is routed twice"), "{e}");
    assert_eq!(e.key, "tenant[1].telephony.number[0].did");
}

#[test]
fn s3_storage_takes_an_access_key_or_the_machine_role() {
    let with = |recordings: &str| format!("{BASE}[tenant.telephony.recordings]\n{recordings}\n");
    let config = parse(&with(
        "store = \"s3\"\nbucket = \"acme-rec\"\naccess_key_id = \"AKIA1\"\nsecret_access_key = \"k\"",
    ))
    .unwrap()
    .unwrap();
    match &config.tenants[0].recordings {
        RecordingStorage::S3 {
            bucket,
            credentials: S3Credentials::AccessKey { id, .. },
            prefix,
            ..
        } => {
            assert_eq!(
                (bucket.as_str(), id.as_str(), prefix.as_str()),
                ("acme-rec", "AKIA1", "acme")
            );
        }
        other => panic!("{other:?}"),
    }
    let config = parse(&with("store = \"s3\"\nbucket = \"acme-rec\""))
        .unwrap()
        .unwrap();
    assert!(matches!(
        &config.tenants[0].recordings,
        RecordingStorage::S3 {
            credentials: S3Credentials::Role,
            ..
        }
    ));
    let e = error(&with(
        "store = \"s3\"\nbucket = \"b\"\naccess_key_id = \"AKIA1\"",
    ));
    assert!(e.fix.contains("both"), "{e}");
    let e = error(&with(
        "store = \"s3\"\nbucket = \"b\"\nendpoint = \"http://minio.example\"",
    ));
    assert!(e.fix.contains("https"), "{e}");
}

#[test]
fn networks_parse_single_addresses_and_prefixes() {
    assert!(IpNetwork::parse("10.1.0.0/16").is_ok());
    assert!(IpNetwork::parse("10.1.0.0/40").is_err());
}
