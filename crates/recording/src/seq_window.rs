//! Duplicate detection for one RTP stream: a sliding window over extended sequence numbers, the
//! way SRTP's replay protection keeps one (RFC 3711 §3.3.2).

/// How far behind the newest packet a duplicate can still be recognised.
const WINDOW: u64 = 128;

/// Remembers which of the last [`WINDOW`] sequence numbers have been seen.
#[derive(Debug, Clone, Default)]
pub struct SeqWindow {
    /// Highest extended sequence number seen (16-bit sequence plus wrap count), if any.
    highest: Option<u64>,
    /// Bit `i` set: `highest - i` has been seen.
    seen: u128,
}

impl SeqWindow {
    /// Records `sequence`; false when it was already seen (a duplicate).
    ///
    /// Packets older than the window are reported as new: by then their audio position is long
    /// written and the writer drops them as late anyway.
    pub fn insert(&mut self, sequence: u16) -> bool {
        let Some(highest) = self.highest else {
            self.highest = Some(extend(0, sequence));
            self.seen = 1;
            return true;
        };
        let extended = extend(highest, sequence);
        if extended > highest {
            let advance = extended - highest;
            self.seen = if advance >= WINDOW {
                0
            } else {
                self.seen << advance
            };
            self.seen |= 1;
            self.highest = Some(extended);
            return true;
        }
        let behind = highest - extended;
        if behind >= WINDOW {
            return true;
        }
        let bit = 1u128 << behind;
        let fresh = self.seen & bit == 0;
        self.seen |= bit;
        fresh
    }
}

/// The extended sequence number closest to `reference` whose low 16 bits are `sequence`.
/// Starts at one full cycle so that a stream whose first packets arrive reordered across the
/// 0xFFFF/0 boundary never needs a negative value.
fn extend(reference: u64, sequence: u16) -> u64 {
    const CYCLE: u64 = 1 << 16;
    let reference = reference.max(CYCLE);
    let base = reference & !(CYCLE - 1);
    let candidate = base | u64::from(sequence);
    if candidate + CYCLE / 2 < reference {
        candidate + CYCLE
    } else if candidate > reference + CYCLE / 2 {
        candidate - CYCLE
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_caught_in_and_out_of_order() {
        let mut window = SeqWindow::default();
        assert!(window.insert(10));
        assert!(window.insert(12));
        assert!(window.insert(11));
        assert!(!window.insert(11));
        assert!(!window.insert(10));
        assert!(!window.insert(12));
        assert!(window.insert(13));
    }

    #[test]
    fn sequence_wrap_is_not_a_duplicate() {
        let mut window = SeqWindow::default();
        for seq in (65_500..=u16::MAX).chain(0..100) {
            assert!(window.insert(seq), "{seq}");
        }
        assert!(!window.insert(u16::MAX));
        assert!(!window.insert(0));
    }

    #[test]
    fn reordering_across_the_wrap_at_the_start() {
        let mut window = SeqWindow::default();
        assert!(window.insert(1));
        assert!(window.insert(u16::MAX));
        assert!(window.insert(0));
        assert!(!window.insert(u16::MAX));
    }

    #[test]
    fn a_big_jump_clears_the_window() {
        let mut window = SeqWindow::default();
        assert!(window.insert(1));
        assert!(window.insert(1 + 1000));
        assert!(!window.insert(1 + 1000));
        // Older than the window: reported as new (the writer decides it is late).
        assert!(window.insert(1));
    }
}
