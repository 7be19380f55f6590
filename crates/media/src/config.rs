//! What the media engine is told at start: addresses, ports and timeouts.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use thiserror::Error;

/// Configuration of [`crate::Media`].
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Local address every media socket binds to (`0.0.0.0` binds all interfaces).
    pub bind_ip: IpAddr,
    /// The address peers reach us at, written into SDP and ICE candidates. Differs from
    /// `bind_ip` behind a 1:1 NAT.
    pub public_ip: IpAddr,
    /// UDP ports for trunk legs and agent sessions: one port each.
    pub port_range: RangeInclusive<u16>,
    /// A call whose customer sends no RTP for this long (while not on hold) reports
    /// [`crate::MediaEvent::MediaTimeout`].
    pub media_timeout: Duration,
    /// An agent session that receives nothing at all (no RTP, RTCP or ICE consent checks,
    /// which browsers send every few seconds) for this long is closed as disconnected;
    /// str0m by itself notices a dead browser only after about 13 s.
    pub agent_timeout: Duration,
}

impl MediaConfig {
    /// A configuration for tests on loopback: binds and advertises 127.0.0.1.
    pub fn loopback(port_range: RangeInclusive<u16>) -> Self {
        let ip = IpAddr::from([127, 0, 0, 1]);
        MediaConfig {
            bind_ip: ip,
            public_ip: ip,
            port_range,
            media_timeout: Duration::from_secs(30),
            agent_timeout: Duration::from_secs(10),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.port_range.is_empty() || *self.port_range.start() == 0 {
            return Err(ConfigError::PortRange {
                start: *self.port_range.start(),
                end: *self.port_range.end(),
            });
        }
        if self.public_ip.is_unspecified() || self.public_ip.is_multicast() {
            return Err(ConfigError::PublicIp(self.public_ip));
        }
        if !self.bind_ip.is_unspecified() && self.bind_ip.is_ipv4() != self.public_ip.is_ipv4() {
            return Err(ConfigError::AddressFamilies {
                bind: self.bind_ip,
                public: self.public_ip,
            });
        }
        for (name, value) in [
            ("media_timeout", self.media_timeout),
            ("agent_timeout", self.agent_timeout),
        ] {
            if value < Duration::from_millis(100) {
                return Err(ConfigError::Timeout { name, value });
            }
        }
        Ok(())
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("media port range {start}..={end} is empty or includes port 0")]
    PortRange { start: u16, end: u16 },
    #[error("public media address {0} cannot be advertised to peers")]
    PublicIp(IpAddr),
    #[error("bind address {bind} and public address {public} are of different IP families")]
    AddressFamilies { bind: IpAddr, public: IpAddr },
    #[error("{name} of {value:?} is too short to tell a lost peer from a late packet")]
    Timeout { name: &'static str, value: Duration },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_configurations_are_refused() {
        let good = MediaConfig::loopback(40000..=40100);
        assert_eq!(good.validate(), Ok(()));
        let mut c = good.clone();
        c.port_range = 0..=10;
        assert!(matches!(c.validate(), Err(ConfigError::PortRange { .. })));
        let mut c = good.clone();
        #[allow(clippy::reversed_empty_ranges)]
        {
            c.port_range = 5..=4;
        }
        assert!(matches!(c.validate(), Err(ConfigError::PortRange { .. })));
        let mut c = good.clone();
        c.public_ip = IpAddr::from([0, 0, 0, 0]);
        assert!(matches!(c.validate(), Err(ConfigError::PublicIp(_))));
        let mut c = good.clone();
        c.public_ip = "::1".parse().unwrap();
        assert!(matches!(
            c.validate(),
            Err(ConfigError::AddressFamilies { .. })
        ));
        let mut c = good;
        c.media_timeout = Duration::from_millis(5);
        assert!(matches!(c.validate(), Err(ConfigError::Timeout { .. })));
    }
}
