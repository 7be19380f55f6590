//! The recording page as a viewer uses it: the link in a Case, sign-in with the CRM (the
//! sandbox's consent page, driven as a browser would), the page, the media with Range requests,
//! refusals that say nothing about whether a call exists, expired and tampered media URLs, and
//! the listen audit holding all of it. Ends with the "link opened -> first media byte" timing.

mod support;

use std::time::{Duration, Instant};

use callbridge_kernel::ticket::{self, Subject, RECORDING_MEDIA};
use callbridge_recording::{RecordingStore, RecordingStoreConfig};
use callbridge_store::{ListenAction, Role};
use callbridge_web::account::provision::{self, Wanted};
use serde_json::json;
use support::{Browser, World, TENANT};
use time::OffsetDateTime;

const WAIT: Duration = Duration::from_secs(10);

/// A stereo 16-bit 8 kHz WAV of `seconds`: a ramp on the left, silence on the right.
fn wav(seconds: u32) -> Vec<u8> {
    let frames = 8000 * seconds;
    let data = frames * 4;
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for v in [
        16u32.to_le_bytes().as_slice(),
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
    ] {
        out.extend_from_slice(v);
    }
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&32000u32.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for i in 0..frames {
        out.extend_from_slice(&((i % 20000) as i16).to_le_bytes());
        out.extend_from_slice(&0i16.to_le_bytes());
    }
    out
}

/// The `src` of the page's audio element, unescaped.
fn media_src(page: &str) -> String {
    let start = page.find("<audio").expect("the page has a player");
    let src = &page[start..];
    let from = src.find("src=\"").unwrap() + 5;
    let to = from + src[from..].find('"').unwrap();
    src[from..to].replace("&amp;", "&")
}

/// A call linked alice answered (through the call-events API), once its Case is in the CRM and
/// its number in the store (where the recording page looks it up); the Case as the CRM has it.
async fn answered_with_a_case(world: &World, call: &str) -> serde_json::Value {
    world
        .call(
            call,
            &[
                json!({"type": "offered", "agent": "alice", "caller": "+18582877834"}),
                json!({"type": "answered", "agent": "alice"}),
                json!({"type": "connected", "agent": "alice"}),
            ],
        )
        .await;
    let case = world.one_case(call, WAIT).await;
    // The Case's number is known to the store once the outbox has recorded it.
    let deadline = Instant::now() + WAIT;
    while world
        .server
        .store
        .case_for_call(TENANT, &World::call_id(call))
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the Case was never recorded for the call"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    case
}

/// Whether the listen audit holds an entry of `action` by `viewer` on `call_id`, allowed or not.
fn audited(
    audit: &[callbridge_store::ListenEntry],
    action: ListenAction,
    viewer: &str,
    allowed: bool,
    call_id: &str,
) -> bool {
    audit.iter().any(|e| {
        e.action == action && e.viewer == viewer && e.allowed == allowed && e.call_id == call_id
    })
}

/// Opens the recording link in `browser` and signs in with the CRM as `crm_user`: the page's
/// status and body, as the browser ends up on it.
async fn open_signed_in(
    world: &World,
    browser: &Browser,
    call: &str,
    crm_user: &str,
) -> (u16, String) {
    open_signed_in_through(world, browser, call, None, crm_user).await
}

/// [`open_signed_in`], the sign-in started through `tenant` (`?tenant=`, as the "which CRM"
/// page's entries link) when given.
async fn open_signed_in_through(
    world: &World,
    browser: &Browser,
    call: &str,
    tenant: Option<&str>,
    crm_user: &str,
) -> (u16, String) {
    let link = format!("{}/recordings/{call}", world.public_url);
    let start = match tenant {
        Some(tenant) => format!("{link}?tenant={tenant}"),
        None => link,
    };
    let first = browser.send(browser.http.get(&start)).await;
    assert_eq!(
        first.status(),
        303,
        "a viewer not signed in is sent to the CRM"
    );
    let authorize = first.headers()["location"].to_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&world.sandbox.base_url),
        "{authorize}"
    );
    let callback = world.sign_in(browser, &authorize, crm_user).await;
    let back = browser.send(browser.http.get(&callback)).await;
    assert_eq!(
        back.status(),
        303,
        "the callback sends the viewer back to the page"
    );
    let location = back.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/recordings/{call}"));
    browser
        .get(&format!("{}{location}", world.public_url))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_with_case_rights_listens_and_everyone_else_gets_one_refusal_page() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let call = "call-recorded";
    let case = answered_with_a_case(&world, call).await;
    assert_eq!(
        case["u_recording_url"],
        json!(format!("{}/recordings/{call}", world.public_url))
    );

    // The recording, stored as the uploader stores it.
    let root = tempfile::tempdir().unwrap();
    let store = RecordingStore::from_config(&RecordingStoreConfig::Local {
        root: root.path().to_path_buf(),
    })
    .unwrap();
    let key = format!("{TENANT}/2026/12/06/{call}.wav");
    let audio = wav(3);
    std::fs::create_dir_all(root.path().join(format!("{TENANT}/2026/12/06"))).unwrap();
    std::fs::write(root.path().join(&key), &audio).unwrap();
    world.server.recordings.set_store(TENANT, store);

    // Before the recording is stored the page says so and refreshes itself.
    let bob = world.browser();
    let (status, page) = open_signed_in(&world, &bob, call, "bob.agent").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("still being stored"), "{page}");
    assert!(page.contains("http-equiv=\"refresh\""));

    world
        .server
        .store
        .save_recording(
            TENANT,
            call,
            &key,
            audio.len() as i64,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    // Signed in already: the page comes at once, with the facts and the player.
    let link = format!("{}/recordings/{call}", world.public_url);
    let (status, page) = bob.get(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(case["number"].as_str().unwrap()),
        "the Case number: {page}"
    );
    assert!(page.contains("id=\"waveform\""));
    assert!(page.contains("bob.agent"));
    assert!(page.contains("/recordings/assets/player.js"));
    assert!(
        page.contains("id=\"download\""),
        "the tenant allows download"
    );
    assert!(
        root.path().join(format!("{key}.peaks.json")).exists(),
        "peaks kept beside the WAV"
    );

    // The media: whole, then a slice.
    let media = format!("{}{}", world.public_url, media_src(&page));
    let whole = world.http.get(&media).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), audio.as_slice());
    let part = world
        .http
        .get(&media)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", audio.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &audio[1000..2000]);
    let past = world
        .http
        .get(&media)
        .header("range", format!("bytes={}-", audio.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);

    let download = world
        .http
        .get(format!("{media}&download=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-disposition"],
        format!("attachment; filename=\"{call}.wav\"").as_str()
    );

    // A tampered and an expired media URL: 403 and nothing else.
    let tampered = media.replace("who=bob.agent", "who=mallory");
    assert_ne!(tampered, media);
    let refused = world.http.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.bytes().await.unwrap().is_empty());
    let uid = world.user_sys_id("bob.agent").await;
    let subject = serde_json::to_string(&[call, "bob.agent", uid.as_str()]).unwrap();
    let key_text = world.config.server.master_key.expose().to_string();
    let long_ago = OffsetDateTime::now_utc().unix_timestamp() - RECORDING_MEDIA.lifetime_secs - 1;
    let expired_ticket = ticket::issue(
        key_text.as_bytes(),
        RECORDING_MEDIA,
        Subject {
            tenant: TENANT,
            agent: &subject,
        },
        long_ago,
    );
    let expired = format!(
        "{}/recordings/{call}/audio?tenant={TENANT}&who=bob.agent&uid={uid}&t={expired_ticket}",
        world.public_url
    );
    let refused = world.http.get(&expired).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.bytes().await.unwrap().is_empty());
    // The same URL signed now works: the refusal above was the expiry.
    let fresh = ticket::issue(
        key_text.as_bytes(),
        RECORDING_MEDIA,
        Subject {
            tenant: TENANT,
            agent: &subject,
        },
        OffsetDateTime::now_utc().unix_timestamp(),
    );
    let ok = world
        .http
        .get(expired.replace(&expired_ticket, &fresh))
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 206);

    // carol.norole has no CSM role: the refusal page. An unknown call gives bob the same page.
    let carol = world.browser();
    let (status, carol_page) = open_signed_in(&world, &carol, call, "carol.norole").await;
    assert_eq!(status, 403);
    assert!(carol_page.contains("cannot be shown"), "{carol_page}");
    assert!(!carol_page.contains("<audio"));
    let (status, unknown_page) = bob
        .get(&format!("{}/recordings/no-such-call", world.public_url))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        unknown_page, carol_page,
        "unknown and no access look the same"
    );
    // In Japanese for a Japanese browser.
    let ja = bob
        .send(
            bob.http
                .get(format!("{}/recordings/no-such-call", world.public_url))
                .header("accept-language", "ja,en;q=0.5"),
        )
        .await;
    assert_eq!(ja.status(), 403);
    assert!(ja.text().await.unwrap().contains("表示できません"));

    // The listen audit holds all of it.
    let audit = world
        .server
        .store
        .listen_audit(TENANT, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    let has = |action, viewer: &str, allowed, call_id: &str| {
        audited(&audit, action, viewer, allowed, call_id)
    };
    assert!(
        has(ListenAction::Open, "anonymous", false, call),
        "{audit:#?}"
    );
    assert!(
        has(ListenAction::Open, "bob.agent", true, call),
        "{audit:#?}"
    );
    assert!(
        has(ListenAction::Media, "bob.agent", true, call),
        "{audit:#?}"
    );
    assert!(
        has(ListenAction::Media, "mallory", false, call),
        "{audit:#?}"
    );
    assert!(
        has(ListenAction::Media, "bob.agent", false, call),
        "expired: {audit:#?}"
    );
    assert!(
        has(ListenAction::Open, "carol.norole", false, call),
        "{audit:#?}"
    );
    assert!(
        has(ListenAction::Open, "bob.agent", false, "no-such-call"),
        "{audit:#?}"
    );
    let bob_open = audit
        .iter()
        .find(|e| e.viewer == "bob.agent" && e.allowed)
        .unwrap();
    assert_eq!(bob_open.crm_user_id.as_deref(), Some(uid.as_str()));
    assert_eq!(bob_open.source, "127.0.0.1");

    // Link opened -> first media byte, signed in, local store.
    let mut samples = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let (status, page) = bob.get(&link).await;
        assert_eq!(status, 200);
        let media = format!("{}{}", world.public_url, media_src(&page));
        let mut response = world
            .http
            .get(&media)
            .header("range", "bytes=0-")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 206);
        let first = response.chunk().await.unwrap().unwrap();
        assert!(!first.is_empty());
        samples.push(started.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let worst = *samples.last().unwrap();
    println!(
        "link opened -> first media byte (signed in, local store, CRM check included): median {median:?}, max {worst:?} over {} opens",
        samples.len()
    );
    assert!(median < Duration::from_secs(1), "median {median:?}");

    // A supervisor's Callbridge session listens without the CRM; an agent's does not suffice.
    for (user, role) in [("sam", Role::Supervisor), ("amy", Role::Agent)] {
        provision::create(
            &world.server.store,
            &Wanted {
                tenant: TENANT.into(),
                user: user.into(),
                display_name: user.into(),
                role,
            },
            "correct horse battery staple",
        )
        .await
        .unwrap();
    }
    for (user, expected) in [("sam", 200), ("amy", 303)] {
        let signed = world
            .http
            .post(format!("{}/api/v1/session", world.public_url))
            .header("origin", &world.public_url)
            .json(&json!({"tenant": TENANT, "user": user, "password": "correct horse battery staple"}))
            .send()
            .await
            .unwrap();
        assert_eq!(signed.status(), 200);
        let session = signed.headers()["set-cookie"].to_str().unwrap();
        let session = session.split(';').next().unwrap().to_string();
        let opened = world
            .http
            .get(&link)
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(opened.status(), expected, "{user}");
        if expected == 200 {
            let page = opened.text().await.unwrap();
            assert!(
                page.contains("account:sam") && page.contains("<audio"),
                "{page}"
            );
        }
    }
    let audit = world
        .server
        .store
        .listen_audit(TENANT, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.viewer == "account:sam" && e.allowed && e.action == ListenAction::Open));

    // Retention (30 days for this tenant): a recording stored 31 days ago is deleted with its
    // peaks, audited, and the page says so; the media URL issued before is gone too.
    let stored_long_ago = OffsetDateTime::now_utc() - time::Duration::days(31);
    world
        .server
        .store
        .save_recording(TENANT, call, &key, audio.len() as i64, stored_long_ago)
        .await
        .unwrap();
    let deleted = world
        .server
        .recordings
        .sweep_retention(OffsetDateTime::now_utc())
        .await;
    assert_eq!(deleted, 1);
    assert!(!root.path().join(&key).exists());
    assert!(!root.path().join(format!("{key}.peaks.json")).exists());
    let (status, page) = bob.get(&link).await;
    assert_eq!(status, 200);
    assert!(page.contains("deleted by the retention period"), "{page}");
    assert!(!page.contains("<audio"));
    assert_eq!(world.http.get(&media).send().await.unwrap().status(), 410);
    let audit = world
        .server
        .store
        .listen_audit(TENANT, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == ListenAction::Retention && e.call_id == call && e.allowed));
}

/// A tenant kept in the store, named `name`, whose CRM is the sandbox through `client_id`.
async fn add_tenant(world: &World, id: &str, name: &str, client_id: &str) {
    use callbridge_config::toml_edit::{value, DocumentMut, InlineTable, Item, Table};
    let mut crm = Table::new();
    crm.insert("kind", value("servicenow"));
    crm.insert("instance_url", value(world.sandbox.base_url.as_str()));
    crm.insert("ca_file", value("ca.pem"));
    crm.insert("client_id", value(client_id));
    let mut secret = InlineTable::new();
    secret.insert("store", "crm.client_secret".into());
    crm.insert("client_secret", value(secret));
    let mut document: DocumentMut = format!("[[tenant]]\nid = \"{id}\"\nname = \"{name}\"\n")
        .parse()
        .unwrap();
    document["tenant"][0]["crm"] = Item::Table(crm);
    world
        .server
        .directory
        .create(
            &callbridge_core::TenantId::new(id),
            &document.to_string(),
            vec![(
                "crm.client_secret".into(),
                callbridge_config::Secret::new(world.sandbox.credentials.client_secret.clone()),
            )],
            "test",
        )
        .await
        .unwrap();
}

/// The `<li>` entries of the "which CRM" page: (link, label).
fn crm_choices(page: &str) -> Vec<(String, String)> {
    page.split("<li><a href=\"")
        .skip(1)
        .map(|entry| {
            let (href, rest) = entry.split_once("\">").unwrap();
            let label = rest.split_once("</a>").unwrap().0;
            (href.replace("&amp;", "&"), label.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_sharing_one_crm_sign_in_are_one_choice_and_one_sign_in_opens_the_calls_of_all() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let call = "call-shared-sign-in";
    answered_with_a_case(&world, call).await;
    let link = format!("{}/recordings/{call}", world.public_url);

    // A second tenant on the same instance and OAuth client: one sign-in serves both, so there is
    // nothing to choose; the link goes straight to the CRM.
    add_tenant(
        &world,
        "globex",
        "Globex",
        &world.sandbox.credentials.client_id,
    )
    .await;
    let fresh = world.browser();
    let first = fresh.send(fresh.http.get(&link)).await;
    assert_eq!(first.status(), 303, "one sign-in: no choice to make");
    assert!(first.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(&world.sandbox.base_url));

    // A third tenant through another OAuth client is another sign-in: now the viewer chooses,
    // one entry per sign-in, naming every tenant it serves.
    add_tenant(&world, "initech", "Initech", "another-client").await;
    let (status, which) = fresh.get(&link).await;
    assert_eq!(status, 200, "{which}");
    assert_eq!(
        crm_choices(&which),
        [
            (
                format!("/recordings/{call}?tenant={TENANT}"),
                format!("{TENANT}, Globex (ServiceNow)")
            ),
            (
                format!("/recordings/{call}?tenant=initech"),
                "Initech (ServiceNow)".to_string()
            ),
        ],
        "{which}"
    );

    // Signed in through the other tenant of the group, the viewer opens the call whose Case is in
    // the first: the CRM is asked with their own token about that tenant's Case.
    let bob = world.browser();
    let (status, page) =
        open_signed_in_through(&world, &bob, call, Some("globex"), "bob.agent").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("still being stored"), "{page}");

    // carol.norole, signed in the same way, is refused: the group widens where to look, not
    // what the CRM lets a person read.
    let carol = world.browser();
    let (status, _) =
        open_signed_in_through(&world, &carol, call, Some("globex"), "carol.norole").await;
    assert_eq!(status, 403);

    // The audit of the tenant whose call it is holds both opens.
    let audit = world
        .server
        .store
        .listen_audit(TENANT, OffsetDateTime::UNIX_EPOCH)
        .await
        .unwrap();
    for (viewer, allowed) in [("bob.agent", true), ("carol.norole", false)] {
        assert!(
            audited(&audit, ListenAction::Open, viewer, allowed, call),
            "{viewer}: {audit:#?}"
        );
    }
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_the_page_allows_exactly_the_buckets_origin_and_the_audio_comes_from_a_presigned_get()
{
    use callbridge_recording::testing::S3Server;
    let s3 = S3Server::start().await;
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let call = "call-on-s3";
    answered_with_a_case(&world, call).await;

    // The recording in the bucket, as the uploader puts it there.
    let store = RecordingStore::from_config(&s3.config("cc")).unwrap();
    let key = format!("cc/{TENANT}/2026/12/07/{call}.wav");
    let audio = wav(2);
    store
        .object_store()
        .put(
            &object_store::path::Path::from(key.as_str()),
            audio.clone().into(),
        )
        .await
        .unwrap();
    world
        .server
        .store
        .save_recording(
            TENANT,
            call,
            &key,
            audio.len() as i64,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    world.server.recordings.set_store(TENANT, store);

    let bob = world.browser();
    let (status, page) = open_signed_in(&world, &bob, call, "bob.agent").await;
    assert_eq!(status, 200, "{page}");
    // The page may fetch media from its own origin and from the bucket's, nothing else: an
    // S3-compatible endpoint on plain HTTP is allowed by its exact origin, not by `https:`.
    let again = bob
        .send(
            bob.http
                .get(format!("{}/recordings/{call}", world.public_url)),
        )
        .await;
    let csp = again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains(&format!("media-src 'self' {};", s3.endpoint)),
        "{csp}"
    );
    let page = again.text().await.unwrap();
    assert!(page.contains("crossorigin=\"anonymous\""), "{page}");

    // The media URL redirects to a presigned GET on that origin, which serves ranges.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let media = format!("{}{}", world.public_url, media_src(&page));
    let redirect = no_redirects.get(&media).send().await.unwrap();
    assert_eq!(redirect.status(), 307);
    let presigned = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(presigned.starts_with(&s3.endpoint), "{presigned}");
    assert!(presigned.contains("X-Amz-Signature="), "{presigned}");
    let part = no_redirects
        .get(&presigned)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &audio[100..200]);
}
