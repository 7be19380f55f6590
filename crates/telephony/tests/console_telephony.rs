//! The console's "Numbers & queues" API against the running server and telephony: a file
//! tenant is read-only, uploads are checked, a store tenant's numbers, queues and music are
//! saved through the tenant directory and take effect on the next SIP call.

mod support;

use callbridge_store::Role;
use serde_json::{json, Value};
use support::*;

/// The number the console adds to the store tenant.
const ADDED_DID: &str = "+81312345101";

impl World {
    async fn console(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http()
            .request(
                method,
                format!("{}/api/v1/console/telephony{path}", self.public_url),
            )
            .header(reqwest::header::COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .header(reqwest::header::ORIGIN, &self.public_url)
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// `seconds` of a 16-bit WAV with `channels` channels at `rate`.
fn wav(rate: u32, channels: usize, seconds: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    let samples = (f64::from(rate) * seconds) as usize;
    let tone = callbridge_audio::ToneGenerator::new(440.0, 8000.0, rate).samples(samples);
    callbridge_audio::write_wav(&path, rate, &vec![tone; channels]).unwrap();
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_tenants_numbers_queues_and_music_are_saved_checked_and_applied_live() {
    let world = World::start(Options {
        store_tenant: true,
        ..Options::default()
    })
    .await;
    let gail = world.sign_in_as(STORE_TENANT, "gail", Role::Admin).await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;

    let (status, overview) = answer(world.console(&gail, get.clone(), "").await).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["source"]["kind"], "store");
    assert_eq!(overview["source"]["editable"], true);
    assert_eq!(overview["source"]["version"], 1);
    assert_eq!(overview["telephony"]["numbers"][0]["did"], STORE_DID);
    assert_eq!(
        overview["telephony"]["allowed_sources"],
        json!(["127.0.0.1"])
    );
    assert_eq!(overview["telephony"]["queues"][0]["id"], "front");
    assert_eq!(overview["telephony"]["queues"][0]["no_agent"], "busy");
    assert_eq!(
        overview["telephony"]["agents"][0]["queues"],
        json!(["front"])
    );

    // A stereo file is refused, saying what to do.
    let (status, refused) = answer(
        world
            .console(&gail, post.clone(), "/prompts?kind=music&name=hold.wav")
            .await
            .body(wav(8000, 2, 1.0)),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_prompt");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("2 channels"), "{message}");
    assert!(
        message.contains("ffmpeg -i INPUT -ac 1 -ar 8000"),
        "{message}"
    );
    // So is CD audio.
    let (status, refused) = answer(
        world
            .console(&gail, post.clone(), "/prompts?kind=music&name=cd.wav")
            .await
            .body(wav(44_100, 1, 0.5)),
    )
    .await;
    assert_eq!(status, 400);
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("44100 Hz"));
    // Telephone-rate mono is kept.
    let (status, kept) = answer(
        world
            .console(&gail, post.clone(), "/prompts?kind=music&name=hold.wav")
            .await
            .body(wav(8000, 1, 2.0)),
    )
    .await;
    assert_eq!(status, 201, "{kept}");
    let music = kept["prompt"]["id"].as_str().unwrap().to_string();
    assert!(music.starts_with("music-"), "{music}");
    assert_eq!(kept["prompt"]["seconds"], 2.0);
    let (_, listed) = answer(world.console(&gail, get.clone(), "/prompts").await).await;
    assert_eq!(listed["prompts"][0]["name"], "hold.wav");

    // A mistake is named by its key below the tenant, and nothing is saved.
    let (status, invalid) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 1,
        "numbers": [{"did": STORE_DID, "queue": "front"}],
        "queues": [{"id": "front", "waiting": "jazz"}],
        "agents": [{"name": "gina", "queues": ["front"]}],
    })))
    .await;
    assert_eq!(status, 400, "{invalid}");
    assert_eq!(invalid["error"]["code"], "invalid_settings");
    assert_eq!(
        invalid["error"]["fields"][0]["key"],
        "telephony.queue[0].waiting"
    );

    // A configured file that exists but is no audio is refused before anything is saved.
    std::fs::write(
        world.dir.path().join("notes.wav"),
        "meeting notes, not audio",
    )
    .unwrap();
    let (status, invalid) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 1,
        "numbers": [{"did": STORE_DID, "queue": "front"}],
        "queues": [{"id": "front", "waiting": "music", "music": "notes.wav"}],
        "agents": [],
    })))
    .await;
    assert_eq!(status, 400, "{invalid}");
    assert_eq!(
        invalid["error"]["fields"][0]["key"],
        "telephony.queue[0].music"
    );
    let problem = invalid["error"]["fields"][0]["problem"].as_str().unwrap();
    assert!(problem.contains("notes.wav cannot be played"), "{problem}");

    // A carrier address that is no address is named by its key.
    let (status, invalid) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 1,
        "allowed_sources": ["127.0.0.1", "carrier.example"],
        "numbers": [{"did": STORE_DID, "queue": "front"}],
        "queues": [{"id": "front"}],
        "agents": [],
    })))
    .await;
    assert_eq!(status, 400, "{invalid}");
    assert_eq!(
        invalid["error"]["fields"][0]["key"],
        "telephony.allowed_sources[1]"
    );

    // The number moves: the old one goes, a new one rings "front" with the uploaded music.
    let (status, saved) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 1,
        "allowed_sources": ["127.0.0.1", "192.0.2.0/24"],
        "numbers": [{"did": ADDED_DID, "queue": "front"}],
        "queues": [{"id": "front", "waiting": "music", "music": music, "no_agent": "hang_up"}],
        "agents": [{"name": "gina", "queues": ["front"]}],
    })))
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["applied"], true, "{saved}");
    let (_, overview) = answer(world.console(&gail, get.clone(), "").await).await;
    assert_eq!(overview["source"]["version"], 2);
    assert_eq!(overview["telephony"]["queues"][0]["music"], music.as_str());
    assert_eq!(
        overview["telephony"]["allowed_sources"],
        json!(["127.0.0.1", "192.0.2.0/24"])
    );

    // The music a queue plays cannot be deleted; the refusal says which queue; an unknown
    // upload is not found.
    let delete = reqwest::Method::DELETE;
    let (status, in_use) = answer(
        world
            .console(&gail, delete.clone(), &format!("/prompts/{music}"))
            .await,
    )
    .await;
    assert_eq!(status, 409, "{in_use}");
    assert_eq!(in_use["error"]["code"], "prompt_in_use");
    let message = in_use["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("hold.wav") && message.contains("queue front (music)"),
        "{message}"
    );
    let (status, unknown) = answer(
        world
            .console(&gail, delete.clone(), "/prompts/music-0000")
            .await,
    )
    .await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (404, Some("no_such_prompt"))
    );

    // A save from the old version is a conflict.
    let (status, stale) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 1, "numbers": [], "queues": [{"id": "front"}], "agents": [],
    })))
    .await;
    assert_eq!(status, 409);
    assert_eq!(stale["error"]["code"], "version_conflict");

    // Live, over SIP: the removed number is not found; the added one reaches the queue, where
    // nobody is logged in, so it gets the new no-agent treatment (hang_up: 480).
    Sipp::refused_customer(
        world.sip,
        "127.0.0.1",
        STORE_DID.trim_start_matches('+'),
        0,
        404,
    )
    .success()
    .await;
    Sipp::refused_customer(
        world.sip,
        "127.0.0.1",
        ADDED_DID.trim_start_matches('+'),
        0,
        480,
    )
    .success()
    .await;

    // Once no queue plays it, the upload is deleted: gone from the list and from the disk.
    let (status, saved) = answer(world.console(&gail, put.clone(), "").await.json(&json!({
        "version": 2,
        "numbers": [{"did": ADDED_DID, "queue": "front"}],
        "queues": [{"id": "front", "waiting": "ringback", "no_agent": "hang_up"}],
        "agents": [{"name": "gina", "queues": ["front"]}],
    })))
    .await;
    assert_eq!(status, 200, "{saved}");
    let file = world
        .dir
        .path()
        .join(format!("media/{STORE_TENANT}/{music}.wav"));
    assert!(file.exists(), "{}", file.display());
    let (status, deleted) = answer(
        world
            .console(&gail, delete.clone(), &format!("/prompts/{music}"))
            .await,
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["prompt"]["id"], music.as_str());
    assert!(!file.exists());
    let (_, listed) = answer(world.console(&gail, get.clone(), "/prompts").await).await;
    assert_eq!(listed["prompts"], json!([]));

    // Each change is in the admin audit.
    let audit = world
        .server
        .store
        .admin_audit(&callbridge_store::AuditFilter {
            tenant: STORE_TENANT.into(),
            from: None,
            to: None,
            user: None,
            call: None,
            allowed: None,
            limit: 100,
        })
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert!(
        actions.contains(&("telephony.prompt_upload", "refused")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("telephony.prompt_upload", "done")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("telephony.save", "refused")),
        "{actions:?}"
    );
    assert!(actions.contains(&("telephony.save", "done")), "{actions:?}");
    assert!(
        actions.contains(&("telephony.prompt_delete", "refused")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("telephony.prompt_delete", "done")),
        "{actions:?}"
    );
    world.stop().await;
}

/// `PUT /api/v1/console/setup/steps/recordings`: a store that cannot be opened is refused at
/// its field before anything is saved; one that opens is saved and used at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_store_that_cannot_be_opened_is_refused_and_nothing_is_saved() {
    let world = World::start(Options {
        store_tenant: true,
        ..Options::default()
    })
    .await;
    let gail = world.sign_in_as(STORE_TENANT, "gail", Role::Admin).await;
    let step = |body: Value| {
        world
            .http()
            .put(format!(
                "{}/api/v1/console/setup/steps/recordings",
                world.public_url
            ))
            .header(reqwest::header::COOKIE, &gail.cookie)
            .header("x-csrf-token", &gail.csrf)
            .header(reqwest::header::ORIGIN, &world.public_url)
            .json(&body)
    };
    // A directory below a plain file can never be made.
    let blocker = world.dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file").unwrap();
    let unopenable = blocker.join("recordings");
    let (status, refused) = answer(step(json!({
        "version": 1, "store": "local", "path": unopenable.display().to_string(),
    })))
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_settings");
    let field = &refused["error"]["fields"][0];
    assert_eq!(field["key"], "telephony.recordings.path", "{refused}");
    assert!(
        field["problem"]
            .as_str()
            .unwrap()
            .starts_with("the recording store cannot be opened: "),
        "{refused}"
    );
    assert!(
        field["fix"]
            .as_str()
            .unwrap()
            .contains("directory the service user can write"),
        "{refused}"
    );
    let (_, setup) = answer(
        world
            .http()
            .get(format!("{}/api/v1/console/setup", world.public_url))
            .header(reqwest::header::COOKIE, &gail.cookie),
    )
    .await;
    assert_eq!(setup["version"], 1, "nothing saved: {setup}");
    assert!(
        setup["recordings"]["path"]
            .as_str()
            .unwrap()
            .ends_with("recordings-globex"),
        "{setup}"
    );

    // A directory that can be made: saved, applied, and its check passes.
    let writable = world.dir.path().join("recordings-moved");
    let (status, saved) = answer(step(json!({
        "version": 1, "store": "local", "path": writable.display().to_string(),
    })))
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["version"].as_i64(), saved["applied"].as_bool()),
        (Some(2), Some(true))
    );
    let store = saved["checks"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "telephony.recordings.store")
        .unwrap_or_else(|| panic!("no store check in {saved}"))
        .clone();
    assert_eq!(store["status"], "pass", "{saved}");
    // Telephony's checks of the step have Japanese titles too.
    let (status, ja) = answer(
        world
            .http()
            .get(format!(
                "{}/api/v1/console/setup/steps/recordings/checks?lang=ja",
                world.public_url
            ))
            .header(reqwest::header::COOKIE, &gail.cookie),
    )
    .await;
    assert_eq!(status, 200, "{ja}");
    let titles: Vec<(&str, &str)> = ja["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["title"].as_str().unwrap()))
        .collect();
    assert_eq!(
        titles,
        [
            ("telephony.spool", "録音の一時保存ディレクトリに書き込める"),
            ("telephony.recordings.store", "録音を保存できる")
        ]
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_tenant_is_shown_read_only_and_only_admins_may_see_it() {
    let world = World::start(Options::default()).await;
    let ada = world.sign_in_as(TENANT, "ada", Role::Admin).await;
    let (status, overview) = answer(world.console(&ada, reqwest::Method::GET, "").await).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["source"]["kind"], "file");
    assert_eq!(overview["source"]["editable"], false);
    let note = overview["source"]["note"].as_str().unwrap();
    assert!(
        note.starts_with("set in ") && note.ends_with("; change it there and restart"),
        "{note}"
    );
    assert_eq!(overview["telephony"]["numbers"][0]["did"], DID);
    let (status, refused) = answer(world.console(&ada, reqwest::Method::PUT, "").await.json(
        &json!({
            "version": 1, "numbers": [], "queues": [], "agents": [],
        }),
    ))
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "read_only");
    let sam = world.sign_in_as(TENANT, "sam", Role::Supervisor).await;
    let (status, _) = answer(world.console(&sam, reqwest::Method::GET, "").await).await;
    assert_eq!(status, 403);
    world.stop().await;
}
