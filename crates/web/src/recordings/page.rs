//! The recording page and the refusal pages, server-rendered in the viewer's language (English or
//! Japanese, from `Accept-Language`). Every value is escaped; the only script is
//! `/recordings/assets/player.js` and the only style `/recordings/assets/player.css`, so the
//! strict CSP (no inline script or style) holds.

use crate::html::escape;
use std::fmt::Write as _;

/// The viewer's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

/// English or Japanese, whichever `Accept-Language` prefers (by q-value, then order); English
/// when it names neither.
pub fn language(accept: Option<&str>) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for item in accept.unwrap_or_default().split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("ja") => Lang::Ja,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::En)
}

/// The words of the pages.
struct Words {
    lang: &'static str,
    title: &'static str,
    refused_title: &'static str,
    refused: &'static str,
    unavailable_title: &'static str,
    unavailable: &'static str,
    uploading: &'static str,
    removed: &'static str,
    started: &'static str,
    direction: &'static str,
    inbound: &'static str,
    outbound: &'static str,
    number: &'static str,
    queue: &'static str,
    agents: &'static str,
    duration: &'static str,
    case: &'static str,
    play: &'static str,
    seek: &'static str,
    speed: &'static str,
    listen: &'static str,
    both: &'static str,
    customer: &'static str,
    agent: &'static str,
    download: &'static str,
    choose_title: &'static str,
    choose: &'static str,
    /// Between the names of tenants that share one CRM sign-in.
    names_separator: &'static str,
    signed_in_as: &'static str,
}

const EN: Words = Words {
    lang: "en",
    title: "Call recording",
    refused_title: "This recording cannot be shown",
    refused: "Either there is no recording at this address, or your account may not read the Case it belongs to. If you should have access, ask your administrator to grant you the role that reads Cases in the CRM, then open the link again.",
    unavailable_title: "Try again in a moment",
    unavailable: "The CRM could not be asked whether you may listen to this recording. Nothing is wrong with the link; open it again in a moment.",
    uploading: "The recording is still being stored. This page refreshes by itself until it is ready.",
    removed: "This recording was deleted by the retention period your organisation set.",
    started: "Started",
    direction: "Direction",
    inbound: "Inbound",
    outbound: "Outbound",
    number: "Number",
    queue: "Queue",
    agents: "Agents",
    duration: "Duration",
    case: "Case",
    play: "Play / pause",
    seek: "Position in the recording",
    speed: "Speed",
    listen: "Listen to",
    both: "Both",
    customer: "Customer (left)",
    agent: "Agent (right)",
    download: "Download (WAV)",
    choose_title: "Sign in to listen",
    choose: "Choose the CRM you use to sign in:",
    names_separator: ", ",
    signed_in_as: "Signed in as",
};

const JA: Words = Words {
    lang: "ja",
    title: "通話録音",
    refused_title: "この録音は表示できません",
    refused: "このアドレスに録音がないか、録音が属するケースをあなたのアカウントで閲覧できません。閲覧できるはずの場合は、CRM でケースを閲覧できるロールの付与を管理者に依頼してから、もう一度リンクを開いてください。",
    unavailable_title: "しばらくしてからもう一度お試しください",
    unavailable: "この録音を聞けるかどうかを CRM に確認できませんでした。リンクに問題はありません。しばらくしてからもう一度開いてください。",
    uploading: "録音はまだ保存中です。準備ができるまでこのページは自動的に更新されます。",
    removed: "この録音は、組織で設定された保存期間により削除されました。",
    started: "開始",
    direction: "方向",
    inbound: "着信",
    outbound: "発信",
    number: "番号",
    queue: "キュー",
    agents: "エージェント",
    duration: "通話時間",
    case: "ケース",
    play: "再生 / 一時停止",
    seek: "再生位置",
    speed: "速度",
    listen: "聞く",
    both: "両方",
    customer: "顧客（左）",
    agent: "エージェント（右）",
    download: "ダウンロード (WAV)",
    choose_title: "サインインして聞く",
    choose: "サインインに使う CRM を選んでください:",
    names_separator: "、",
    signed_in_as: "サインイン中:",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    }
}

fn shell(lang: Lang, title: &str, refresh: bool, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{}\
         <title>{}</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/recordings/assets/player.css\"></head>\
         <body><main>{body}</main></body></html>",
        words(lang).lang,
        if refresh {
            "<meta http-equiv=\"refresh\" content=\"5\">"
        } else {
            ""
        },
        escape(title),
    )
}

/// The one refusal page: unknown call, no Case, no access to it. Identical for all of them.
pub fn refused(lang: Lang) -> String {
    let w = words(lang);
    shell(
        lang,
        w.refused_title,
        false,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p>",
            escape(w.refused_title),
            escape(w.refused)
        ),
    )
}

pub fn unavailable(lang: Lang) -> String {
    let w = words(lang);
    shell(
        lang,
        w.unavailable_title,
        false,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p>",
            escape(w.unavailable_title),
            escape(w.unavailable)
        ),
    )
}

/// One entry of the "which CRM" page: a group of tenants that share one CRM sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmChoice {
    /// Where the entry leads (the recording link with one of the group's tenants).
    pub href: String,
    /// The group's tenants' names, in the group's order.
    pub tenant_names: Vec<String>,
    /// The CRM's name ("ServiceNow").
    pub crm_name: String,
}

/// Several sign-ins are possible: which CRM? One entry per group of tenants sharing a sign-in,
/// labelled with its tenants' names and the CRM's name.
pub fn choose_crm(lang: Lang, choices: &[CrmChoice]) -> String {
    let w = words(lang);
    let mut list = String::new();
    for choice in choices {
        let label = format!(
            "{} ({})",
            choice.tenant_names.join(w.names_separator),
            choice.crm_name
        );
        let _ = write!(
            list,
            "<li><a href=\"{}\">{}</a></li>",
            escape(&choice.href),
            escape(&label)
        );
    }
    shell(
        lang,
        w.choose_title,
        false,
        &format!(
            "<h1>{}</h1><p>{}</p><ul id=\"crms\">{list}</ul>",
            escape(w.choose_title),
            escape(w.choose)
        ),
    )
}

/// The facts shown above the player.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// UTC, `YYYY-MM-DD HH:MM:SS UTC`.
    pub started: Option<String>,
    pub inbound: Option<bool>,
    pub number: Option<String>,
    pub queue: Option<String>,
    pub agents: Vec<String>,
    pub duration_secs: Option<i64>,
    pub case_label: Option<String>,
    pub case_url: Option<String>,
    pub viewer: String,
}

/// What there is to play.
#[derive(Debug, Clone)]
pub enum Audio {
    Ready {
        media_url: String,
        download_url: Option<String>,
        /// Waveform values, 0-255 per slice, customer and agent.
        left: Vec<u8>,
        right: Vec<u8>,
        /// Whether the media comes from another origin (S3): the element asks with CORS.
        cross_origin: bool,
    },
    Uploading,
    Removed,
}

pub fn recording(lang: Lang, facts: &Facts, audio: &Audio) -> String {
    let w = words(lang);
    let mut body = format!("<h1>{}</h1><dl id=\"facts\">", escape(w.title));
    let mut row = |label: &str, id: &str, value: String| {
        let _ = write!(
            body,
            "<dt>{}</dt><dd id=\"{id}\">{value}</dd>",
            escape(label)
        );
    };
    if let Some(s) = &facts.started {
        row(w.started, "started", escape(s));
    }
    if let Some(inbound) = facts.inbound {
        row(
            w.direction,
            "direction",
            escape(if inbound { w.inbound } else { w.outbound }),
        );
    }
    if let Some(n) = &facts.number {
        row(w.number, "number", escape(n));
    }
    if let Some(q) = &facts.queue {
        row(w.queue, "queue", escape(q));
    }
    if !facts.agents.is_empty() {
        row(w.agents, "agents", escape(&facts.agents.join(", ")));
    }
    if let Some(d) = facts.duration_secs {
        row(
            w.duration,
            "duration",
            format!("{}:{:02}:{:02}", d / 3600, d / 60 % 60, d % 60),
        );
    }
    if let Some(label) = &facts.case_label {
        let value = match &facts.case_url {
            Some(url) => format!(
                "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
                escape(url),
                escape(label)
            ),
            None => escape(label),
        };
        row(w.case, "case", value);
    }
    row(w.signed_in_as, "viewer", escape(&facts.viewer));
    body.push_str("</dl>");
    let refresh = matches!(audio, Audio::Uploading);
    match audio {
        Audio::Uploading => {
            let _ = write!(body, "<p id=\"status\">{}</p>", escape(w.uploading));
        }
        Audio::Removed => {
            let _ = write!(body, "<p id=\"status\">{}</p>", escape(w.removed));
        }
        Audio::Ready {
            media_url,
            download_url,
            left,
            right,
            cross_origin,
        } => {
            let join = |v: &[u8]| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let _ = write!(
                body,
                "<section id=\"player\">\
                 <audio id=\"audio\" preload=\"metadata\" src=\"{src}\"{cors}></audio>\
                 <canvas id=\"waveform\" width=\"1000\" height=\"120\" data-left=\"{l}\" data-right=\"{r}\"></canvas>\
                 <div class=\"controls\">\
                 <button id=\"play\" type=\"button\">{play}</button>\
                 <input id=\"seek\" type=\"range\" min=\"0\" max=\"1000\" value=\"0\" aria-label=\"{seek}\">\
                 <span id=\"time\">0:00</span>\
                 <label>{speed} <select id=\"speed\">\
                 <option value=\"0.5\">0.5×</option><option value=\"0.75\">0.75×</option>\
                 <option value=\"1\" selected>1×</option><option value=\"1.25\">1.25×</option>\
                 <option value=\"1.5\">1.5×</option><option value=\"2\">2×</option></select></label>\
                 <label>{listen} <select id=\"channel\"><option value=\"both\" selected>{both}</option>\
                 <option value=\"left\">{customer}</option><option value=\"right\">{agent}</option></select></label>\
                 </div>",
                src = escape(media_url),
                cors = if *cross_origin { " crossorigin=\"anonymous\"" } else { "" },
                l = join(left),
                r = join(right),
                play = escape(w.play),
                seek = escape(w.seek),
                speed = escape(w.speed),
                listen = escape(w.listen),
                both = escape(w.both),
                customer = escape(w.customer),
                agent = escape(w.agent),
            );
            if let Some(d) = download_url {
                let _ = write!(
                    body,
                    "<p><a id=\"download\" href=\"{}\" download>{}</a></p>",
                    escape(d),
                    escape(w.download)
                );
            }
            body.push_str("</section><script src=\"/recordings/assets/player.js\"></script>");
        }
    }
    shell(lang, w.title, refresh, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_of_english_and_japanese_wins() {
        assert_eq!(language(Some("ja,en;q=0.8")), Lang::Ja);
        assert_eq!(language(Some("ja-JP")), Lang::Ja);
        assert_eq!(language(Some("en-US,ja;q=0.9")), Lang::En);
        assert_eq!(language(Some("fr,ja;q=0.5,en;q=0.4")), Lang::Ja);
        assert_eq!(language(Some("fr")), Lang::En);
        assert_eq!(language(None), Lang::En);
        assert_eq!(language(Some("ja;q=0")), Lang::En);
    }

    #[test]
    fn values_are_escaped_and_refusals_say_the_same_in_each_language() {
        let facts = Facts {
            number: Some("<script>".into()),
            viewer: "a\"b".into(),
            ..Facts::default()
        };
        let page = recording(Lang::En, &facts, &Audio::Removed);
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(refused(Lang::Ja).contains("表示できません"));
        assert!(!refused(Lang::En).contains("<script"));
        assert!(recording(Lang::En, &facts, &Audio::Uploading).contains("http-equiv=\"refresh\""));
    }

    #[test]
    fn a_crm_choice_names_its_tenants_and_its_crm() {
        let choices = [CrmChoice {
            href: "/recordings/c-1?tenant=acme".into(),
            tenant_names: vec!["Acme".into(), "Acme <Support>".into()],
            crm_name: "ServiceNow".into(),
        }];
        let en = choose_crm(Lang::En, &choices);
        assert!(
            en.contains(
                "<a href=\"/recordings/c-1?tenant=acme\">Acme, Acme &lt;Support&gt; (ServiceNow)</a>"
            ),
            "{en}"
        );
        assert!(choose_crm(Lang::Ja, &choices).contains("Acme、Acme &lt;Support&gt; (ServiceNow)"));
    }
}
