//! Crash recovery: what a dead process leaves on the spool is repaired and handed back.

mod common;

use callbridge_audio::read_wav;
use callbridge_recording::{Channel, RecordingWriter, Spool};
use common::*;
use std::fs::{self, OpenOptions};

/// Writes 5 s of a 700 Hz customer tone and 1200 Hz agent tone, then "dies": the writer is
/// leaked so that nothing of the normal shutdown path runs (buffered bytes are lost, the header
/// keeps the sizes of the last checkpoint).
fn crash_after_five_seconds(spool: &Spool, call_id: &str) {
    let mut writer = RecordingWriter::create(spool, meta(call_id)).unwrap();
    let mut packets = Stream::tone(Channel::Customer, 700.0, ms(0), ms(5000)).packets(jitter(40));
    packets.extend(Stream::tone(Channel::Agent, 1200.0, ms(0), ms(5000)).packets(jitter(40)));
    play(&mut writer, packets, ms(5000));
    std::mem::forget(writer);
}

#[test]
fn a_crashed_recording_is_repaired_with_at_least_four_seconds() {
    let dir = tempfile::tempdir().unwrap();
    crash_after_five_seconds(&Spool::open(dir.path()).unwrap(), "crashed");
    let wav_path = dir.path().join("crashed.wav");
    // Tear the last frame as a power cut mid-write would.
    let len = fs::metadata(&wav_path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&wav_path)
        .unwrap()
        .set_len(len - 3)
        .unwrap();

    // The next start.
    let spool = Spool::open(dir.path()).unwrap();
    let recovered = spool.recover().unwrap();
    assert_eq!(recovered.len(), 1);
    let recording = &recovered[0];
    assert!(recording.repaired);
    assert_eq!(recording.meta, meta("crashed"));
    assert!(recording.duration >= ms(4000), "{:?}", recording.duration);
    assert_eq!(recording.bytes, fs::metadata(&wav_path).unwrap().len());

    let audio = read_wav(&wav_path).unwrap();
    assert!(audio.duration() >= ms(4000), "{:?}", audio.duration());
    let left = spans(&audio.channels[0], 700.0);
    let right = spans(&audio.channels[1], 1200.0);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(right.len(), 1, "{right:?}");
    assert!(
        left[0].start <= ms(20) && left[0].end >= ms(4000),
        "{left:?}"
    );
    assert!(
        right[0].start <= ms(20) && right[0].end >= ms(4000),
        "{right:?}"
    );

    // Recovery is idempotent: the sidecar now says complete, the file is left as it is.
    let again = spool.recover().unwrap();
    assert_eq!(again, recovered);
}

#[test]
fn a_writer_dropped_without_finish_is_recovered_whole() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let mut writer = RecordingWriter::create(&spool, meta("dropped")).unwrap();
    let packets = Stream::tone(Channel::Customer, 700.0, ms(0), ms(3000)).packets(jitter(40));
    play(&mut writer, packets, ms(3000));
    let written = writer.written();
    drop(writer);
    let recovered = spool.recover().unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].duration.as_millis(), written.as_millis());
}

#[test]
fn recovery_skips_live_writers_and_returns_finished_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let finished = RecordingWriter::create(&spool, meta("finished"))
        .unwrap()
        .finish(ms(1000))
        .unwrap();
    let mut live = RecordingWriter::create(&spool, meta("live")).unwrap();
    live.tick(ms(2000)).unwrap();
    let recovered = spool.recover().unwrap();
    assert_eq!(recovered, vec![finished]);
    assert!(dir.path().join("live.wav").exists());
    live.finish(ms(2000)).unwrap();
    assert_eq!(spool.recover().unwrap().len(), 2);
}

#[test]
fn unknown_and_corrupt_files_are_quarantined_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path()).unwrap();
    let good = RecordingWriter::create(&spool, meta("good"))
        .unwrap()
        .finish(ms(500))
        .unwrap();
    let root = dir.path();
    fs::write(root.join("notes.txt"), "hello").unwrap();
    fs::write(root.join("orphan.wav"), "RIFF").unwrap();
    fs::write(root.join("lonely.json"), "{}").unwrap();
    fs::write(root.join("badjson.wav"), "x").unwrap();
    fs::write(root.join("badjson.json"), "{not json").unwrap();
    // A valid sidecar whose audio is not a WAV at all.
    let corrupt = RecordingWriter::create(&spool, meta("corrupt"))
        .unwrap()
        .finish(ms(100))
        .unwrap();
    fs::write(&corrupt.wav_path, b"MThd this is a MIDI file").unwrap();
    // A sidecar copied under another call's name.
    fs::copy(&good.sidecar_path, root.join("impostor.json")).unwrap();
    fs::copy(&good.wav_path, root.join("impostor.wav")).unwrap();

    let recovered = spool.recover().unwrap();
    assert_eq!(recovered, vec![good]);
    let mut quarantined: Vec<String> = fs::read_dir(spool.quarantine_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    quarantined.sort();
    assert_eq!(
        quarantined,
        [
            "badjson.json",
            "badjson.wav",
            "corrupt.json",
            "corrupt.wav",
            "impostor.json",
            "impostor.wav",
            "lonely.json",
            "notes.txt",
            "orphan.wav"
        ]
    );
}
