//! The writer against simulated calls: where audio lands in the stereo file.

mod common;

use callbridge_audio::read_wav;
use callbridge_recording::{AnchorReason, Channel, Placement, RecordingWriter, Spool};
use common::*;
use std::time::Duration;

struct Recorded {
    left: Vec<i16>,
    right: Vec<i16>,
    duration: Duration,
    placements: Vec<Placement>,
    writer_stats: [callbridge_recording::ChannelStats; 2],
}

/// Records one call of `hangup` length from `packets` and reads the WAV back.
fn record(packets: Vec<Sent>, hangup: Duration) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut writer = RecordingWriter::create(&spool, meta("call-1")).unwrap();
    let placements = play(&mut writer, packets, hangup);
    let writer_stats = [
        writer.stats(Channel::Customer),
        writer.stats(Channel::Agent),
    ];
    let spooled = writer.finish(hangup).unwrap();
    let audio = read_wav(&spooled.wav_path).unwrap();
    assert_eq!(audio.rate, 8_000);
    assert_eq!(audio.channels.len(), 2);
    let [left, right]: [Vec<i16>; 2] = audio.channels.try_into().unwrap();
    assert_eq!(spooled.duration, audio_duration(left.len()));
    Recorded {
        duration: audio_duration(left.len()),
        left,
        right,
        placements,
        writer_stats,
    }
}

fn audio_duration(frames: usize) -> Duration {
    Duration::from_secs_f64(frames as f64 / 8_000.0)
}

fn assert_one_span(samples: &[i16], freq: f64, start: u64, end: u64) {
    let found = spans(samples, freq);
    assert_eq!(found.len(), 1, "{freq} Hz: {found:?}");
    assert!(
        found[0].matches(ms(start), ms(end), ms(20)),
        "{freq} Hz: {found:?}"
    );
}

#[test]
fn each_leg_lands_in_its_own_channel_at_its_time() {
    let mut packets =
        Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000)).packets(jitter(80));
    packets.extend(Stream::tone(Channel::Agent, 1200.0, ms(2000), ms(4000)).packets(jitter(80)));
    let recorded = record(packets, ms(5000));

    assert!(
        recorded.duration.abs_diff(ms(5000)) <= ms(20),
        "{:?}",
        recorded.duration
    );
    assert_one_span(&recorded.left, 700.0, 1000, 3000);
    assert_one_span(&recorded.right, 1200.0, 2000, 4000);
    assert!(spans(&recorded.left, 1200.0).is_empty());
    assert!(spans(&recorded.right, 700.0).is_empty());
    // 80 ms of jitter is within the 200 ms allowance: nothing late.
    assert_eq!(recorded.writer_stats[0].late, 0);
    assert_eq!(recorded.writer_stats[0].placed, 100);
}

#[test]
fn a_silent_leg_is_silence() {
    let packets = Stream::tone(Channel::Agent, 1200.0, ms(500), ms(1500)).packets(jitter(30));
    let recorded = record(packets, ms(2000));
    assert!(recorded.left.iter().all(|&s| s == 0));
    assert_one_span(&recorded.right, 1200.0, 500, 1500);
}

#[test]
fn lost_packets_leave_a_gap_of_their_length() {
    let mut packets =
        Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000)).packets(jitter(50));
    // Lose 10 packets (200 ms) starting 1.0 s into the tone.
    packets.retain(|p| !(1050..1060).contains(&p.sequence));
    let recorded = record(packets, ms(3500));
    let found = spans(&recorded.left, 700.0);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].matches(ms(1000), ms(2000), ms(20)), "{found:?}");
    assert!(found[1].matches(ms(2200), ms(3000), ms(20)), "{found:?}");
}

#[test]
fn reordering_and_duplicates_change_nothing() {
    let stream = Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000));
    let clean = record(stream.packets(|_| Duration::ZERO), ms(3500));

    let mut messy = stream.packets(|i| if i % 2 == 1 { ms(45) } else { ms(0) });
    // Odd packets arrive after their successors; every fifth packet arrives twice.
    let duplicates: Vec<Sent> = messy
        .iter()
        .filter(|p| p.sequence % 5 == 0)
        .map(|p| Sent {
            arrival: p.arrival + ms(30),
            ..p.clone()
        })
        .collect();
    messy.extend(duplicates);
    let recorded = record(messy, ms(3500));

    assert_eq!(recorded.left, clean.left);
    assert_eq!(recorded.writer_stats[0].duplicates, 20);
    assert_eq!(recorded.writer_stats[0].placed, 100);
    assert!(recorded.placements.contains(&Placement::Duplicate));
}

#[test]
fn an_ssrc_change_reanchors_at_arrival() {
    let first = Stream::tone(Channel::Customer, 700.0, ms(1000), ms(2000));
    let second = Stream {
        ssrc: 0xDEAD_BEEF,
        first_sequence: 7,
        first_timestamp: 12_345,
        ..Stream::tone(Channel::Customer, 700.0, ms(2500), ms(3500))
    };
    let mut packets = first.packets(jitter(40));
    packets.extend(second.packets(jitter(40)));
    let recorded = record(packets, ms(4000));
    let found = spans(&recorded.left, 700.0);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].matches(ms(1000), ms(2000), ms(20)), "{found:?}");
    assert!(found[1].matches(ms(2500), ms(3500), ms(20)), "{found:?}");
    assert_eq!(recorded.writer_stats[0].anchors, 2);
    assert!(recorded
        .placements
        .contains(&Placement::Anchored(AnchorReason::NewSsrc)));
}

#[test]
fn rtp_timestamps_wrapping_around_u32_are_continuous() {
    let stream = Stream {
        // Wraps about half a second into the tone.
        first_timestamp: u32::MAX - 4_000,
        first_sequence: u16::MAX - 10,
        ..Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000))
    };
    let recorded = record(stream.packets(jitter(60)), ms(3500));
    assert_one_span(&recorded.left, 700.0, 1000, 3000);
    assert_eq!(recorded.writer_stats[0].anchors, 1);
}

#[test]
fn an_implausible_timestamp_jump_reanchors_to_arrival() {
    let mut packets =
        Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000)).packets(jitter(30));
    // The sender's clock jumps forward by an hour halfway (same SSRC).
    for packet in packets.iter_mut().skip(50) {
        packet.timestamp = packet.timestamp.wrapping_add(3600 * 8_000);
    }
    let recorded = record(packets, ms(3500));
    let found = spans(&recorded.left, 700.0);
    // The re-anchored packet carries up to 30 ms of jitter; the rest follows it.
    assert!(found.len() <= 2, "{found:?}");
    assert!(found[0].start.abs_diff(ms(1000)) <= ms(20), "{found:?}");
    assert!(
        found.last().unwrap().end.abs_diff(ms(3000)) <= ms(40),
        "{found:?}"
    );
    assert!(recorded
        .placements
        .contains(&Placement::Anchored(AnchorReason::TimestampJump)));
}

#[test]
fn packets_later_than_the_allowance_are_dropped() {
    let mut packets =
        Stream::tone(Channel::Customer, 700.0, ms(1000), ms(3000)).packets(jitter(20));
    // Packets 1040..1045 (1.8-1.9 s) are held up 600 ms in the network: their slot is written.
    for packet in packets.iter_mut() {
        if (1040..1045).contains(&packet.sequence) {
            packet.arrival += ms(600);
        }
    }
    let recorded = record(packets, ms(3500));
    assert_eq!(recorded.writer_stats[0].late, 5);
    let found = spans(&recorded.left, 700.0);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].matches(ms(1000), ms(1800), ms(20)), "{found:?}");
    assert!(found[1].matches(ms(1900), ms(3000), ms(20)), "{found:?}");
}

#[test]
fn audio_after_hangup_is_not_recorded() {
    let packets = Stream::tone(Channel::Agent, 1200.0, ms(0), ms(3000)).packets(jitter(10));
    let recorded = record(packets, ms(2000));
    assert!(recorded.duration.abs_diff(ms(2000)) <= ms(1));
    assert_one_span(&recorded.right, 1200.0, 0, 2000);
}

#[test]
fn names_are_validated_and_call_ids_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut bad = meta("x");
    bad.call_id = "../../etc/passwd".into();
    let err = RecordingWriter::create(&spool, bad).err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("not a safe name"), "{err}");

    let writer = RecordingWriter::create(&spool, meta("dup")).unwrap();
    let err = RecordingWriter::create(&spool, meta("dup")).err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    writer.finish(ms(100)).unwrap();
    // Still on the spool (not uploaded yet): a second recording of that id is refused.
    let err = RecordingWriter::create(&spool, meta("dup")).err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Any delays within the jitter allowance, and any duplicates, give exactly the audio of
        /// an in-order, loss-free delivery.
        #[test]
        fn delivery_order_within_the_allowance_does_not_matter(
            delays in proptest::collection::vec(0u64..180, 49),
            duplicated in proptest::collection::vec(any::<bool>(), 50),
        ) {
            let stream = Stream::tone(Channel::Agent, 1200.0, ms(200), ms(1200));
            let clean = record(stream.packets(|_| Duration::ZERO), ms(1500));
            // The first packet anchors the stream, so it arrives on time.
            let mut packets = stream.packets(|i| if i == 0 { ms(0) } else { ms(delays[i - 1]) });
            let copies: Vec<Sent> = packets
                .iter()
                .zip(&duplicated)
                .filter(|(_, &dup)| dup)
                .map(|(p, _)| Sent { arrival: p.arrival + ms(15), ..p.clone() })
                .collect();
            packets.extend(copies);
            let shuffled = record(packets, ms(1500));
            prop_assert_eq!(shuffled.right, clean.right);
            prop_assert_eq!(shuffled.writer_stats[1].late, 0);
        }
    }
}
