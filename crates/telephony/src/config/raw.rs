//! The telephony sections as written in the file, before validation.

use std::path::PathBuf;

use callbridge_integration::config::SecretSource;
use serde::Deserialize;

/// The whole file seen from here: other keys belong to the integration crate.
#[derive(Deserialize)]
pub(super) struct RawFile {
    pub telephony: Option<RawTelephony>,
    #[serde(default, rename = "tenant")]
    pub tenants: Vec<RawTenant>,
}

#[derive(Deserialize)]
pub(super) struct RawTenant {
    pub id: String,
    pub telephony: Option<RawTenantTelephony>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelephony {
    pub sip_udp: Option<String>,
    pub sip_tcp: Option<String>,
    pub sip_public_ip: Option<String>,
    #[serde(default = "default_flood_limit")]
    pub sip_flood_limit: u32,
    #[serde(default = "default_bind_ip")]
    pub media_bind_ip: String,
    pub public_ip: Option<String>,
    #[serde(default = "default_rtp_ports")]
    pub rtp_ports: String,
    #[serde(default = "default_media_timeout")]
    pub media_timeout_secs: u64,
    #[serde(default = "default_spool")]
    pub spool_dir: PathBuf,
}

fn default_flood_limit() -> u32 {
    // An inbound call costs about three requests (INVITE, ACK, BYE): room for 300 calls/s
    // from one carrier address.
    1000
}
fn default_bind_ip() -> String {
    "0.0.0.0".into()
}
fn default_rtp_ports() -> String {
    "20000-29999".into()
}
fn default_media_timeout() -> u64 {
    30
}
fn default_spool() -> PathBuf {
    PathBuf::from("spool")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTenantTelephony {
    pub trunk: Option<RawTrunk>,
    #[serde(default)]
    pub allowed_sources: Vec<String>,
    #[serde(default)]
    pub number: Vec<RawNumber>,
    #[serde(default)]
    pub queue: Vec<RawQueue>,
    #[serde(default)]
    pub agent: Vec<RawAgent>,
    #[serde(default)]
    pub recordings: RawRecordings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrunk {
    pub host: String,
    #[serde(default = "default_sip_port")]
    pub port: u16,
    #[serde(default = "default_transport")]
    pub transport: String,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    pub caller_id: String,
}

fn default_sip_port() -> u16 {
    5060
}
fn default_transport() -> String {
    "udp".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNumber {
    pub did: String,
    pub queue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueue {
    pub id: String,
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_secs: u64,
    #[serde(default = "default_waiting")]
    pub waiting: String,
    pub music: Option<PathBuf>,
    pub announcement: Option<PathBuf>,
    #[serde(default = "default_max_waiting")]
    pub max_waiting: u32,
    #[serde(default = "default_max_wait")]
    pub max_wait_secs: u64,
    #[serde(default = "default_unserved")]
    pub overflow: String,
    #[serde(default = "default_unserved")]
    pub no_agent: String,
    #[serde(default)]
    pub wrap_up_secs: u64,
}

fn default_ring_timeout() -> u64 {
    20
}
fn default_waiting() -> String {
    "ringback".into()
}
fn default_max_waiting() -> u32 {
    100
}
fn default_max_wait() -> u64 {
    600
}
fn default_unserved() -> String {
    "busy".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub name: String,
    #[serde(default)]
    pub queues: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecordings {
    #[serde(default = "default_store")]
    pub store: String,
    pub path: Option<PathBuf>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretSource>,
    pub prefix: Option<String>,
}

impl Default for RawRecordings {
    fn default() -> Self {
        RawRecordings {
            store: default_store(),
            path: None,
            bucket: None,
            region: None,
            endpoint: None,
            access_key_id: None,
            secret_access_key: None,
            prefix: None,
        }
    }
}

fn default_store() -> String {
    "local".into()
}
