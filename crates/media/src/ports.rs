//! The UDP port range, shared by trunk legs and agent sessions.
//!
//! A port is leased by binding a socket to it; the lease returns the port when dropped (when
//! the leg or session task ends), so a crashed task cannot leak ports. Ports held by other
//! processes are skipped, not treated as errors.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::sync::Arc;

use parking_lot::Mutex;

/// Hands out ports from the configured range, round robin so a just-freed port is not reused
/// at once (late packets of the old call must not reach the new one).
#[derive(Debug)]
pub(crate) struct PortPool {
    range: RangeInclusive<u16>,
    next: u16,
    in_use: HashSet<u16>,
}

/// A bound socket whose port goes back to the pool when this is dropped.
#[derive(Debug)]
pub(crate) struct PortLease {
    pool: Arc<Mutex<PortPool>>,
    port: u16,
}

impl PortLease {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.lock().in_use.remove(&self.port);
    }
}

impl PortPool {
    pub(crate) fn new(range: RangeInclusive<u16>) -> Arc<Mutex<PortPool>> {
        Arc::new(Mutex::new(PortPool {
            next: *range.start(),
            range,
            in_use: HashSet::new(),
        }))
    }

    /// Binds a non-blocking UDP socket on `ip` to the next free port of the range.
    pub(crate) fn bind(pool: &Arc<Mutex<PortPool>>, ip: IpAddr) -> Option<(UdpSocket, PortLease)> {
        let mut this = pool.lock();
        let (start, end) = (*this.range.start(), *this.range.end());
        let size = u32::from(end - start) + 1;
        for _ in 0..size {
            let port = this.next;
            this.next = if port == end { start } else { port + 1 };
            if this.in_use.contains(&port) {
                continue;
            }
            let Ok(socket) = UdpSocket::bind(SocketAddr::new(ip, port)) else {
                continue;
            };
            if socket.set_nonblocking(true).is_err() {
                continue;
            }
            this.in_use.insert(port);
            let lease = PortLease {
                pool: Arc::clone(pool),
                port,
            };
            return Some((socket, lease));
        }
        None
    }

    #[cfg(test)]
    fn leased(&self) -> usize {
        self.in_use.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_leased_once_and_returned_on_drop() {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let base = probe.local_addr().unwrap().port();
        drop(probe);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let pool = PortPool::new(base..=base.saturating_add(1));
        let a = PortPool::bind(&pool, ip);
        let b = PortPool::bind(&pool, ip);
        let granted: Vec<_> = [&a, &b].iter().filter_map(|l| l.as_ref()).collect();
        // A port may be taken by another process between probe and bind; never twice by us.
        if granted.len() == 2 {
            assert_ne!(granted[0].1.port(), granted[1].1.port());
            assert!(PortPool::bind(&pool, ip).is_none(), "range exhausted");
        }
        let leased = pool.lock().leased();
        assert_eq!(leased, granted.len());
        drop(a);
        drop(b);
        assert_eq!(pool.lock().leased(), 0);
    }
}
