//! The Japanese titles of the doctor checks the Setup steps show, keyed by check id (pure).
//!
//! A check's title names what is checked; its detail (what was found, often the instance's own
//! words) and its fix (menus of the instance, in ServiceNow's English UI) stay English. Ids are
//! stable (`callbridge_servicenow::adapter::doctor`, `callbridge_telephony::doctor`); the parts
//! an id or its English title carries (a table, a column, an agent, a queue) are kept as they
//! are. `None` for an id this catalog does not know: `every_setup_check_has_a_japanese_title`
//! walks every id doctor produces, so a new check without a title fails a test.

/// The English title's leading words of the table and column checks, and their Japanese words
/// (the table or column name that follows is kept).
const NAMED: [(&str, &str); 11] = [
    ("Lookup table ", "検索テーブル "),
    ("Case table ", "ケース テーブル "),
    ("Phone column ", "電話番号の列 "),
    ("Name column ", "名前の列 "),
    ("Account column ", "取引先の列 "),
    ("Correlation column ", "相関 ID の列 "),
    ("Recording link column ", "録音リンクの列 "),
    ("Caller number column ", "発信者番号の列 "),
    ("Contact column ", "担当者の列 "),
    ("Consumer column ", "個人顧客の列 "),
    ("Assigned-to column ", "割り当て先の列 "),
];

/// The Japanese title of check `id`, whose English title is `english`.
pub fn title_ja(id: &str, english: &str) -> Option<String> {
    let fixed = match id {
        "instance.reachable" => {
            let url = english
                .strip_prefix("ServiceNow instance ")
                .and_then(|rest| rest.strip_suffix(" reachable"))?;
            return Some(format!("ServiceNow インスタンス {url} に接続できる"));
        }
        "oauth.service_grant" => {
            return Some(
                match english.strip_prefix("Service credential (password grant as ") {
                    Some(rest) => format!(
                        "サービス資格情報（{} としてパスワード グラント）でトークンを取得できる",
                        rest.strip_suffix(')')?
                    ),
                    None => "サービス資格情報（client_credentials グラント）でトークンを取得できる"
                        .to_string(),
                },
            )
        }
        "oauth.authorize_redirect" => "エージェントのサインイン用リダイレクト URI が登録されている",
        "access.dictionary" => "サービス アカウントがテーブル定義を読める",
        "access.create_case" => "サービス アカウントがケースを作成・検索・削除できる",
        "rate_limit" => "レート制限の余裕",
        "openframe.panel" => "OpenFrame パネルがこの Callbridge を開く",
        "openframe.origin" => "インスタンスのページがソフトフォンのオリジンと通信できる",
        "agents.store" => "エージェントの CRM 連携情報を読める",
        "agents.linked" => "CRM アカウントを連携したエージェント",
        "config.crm" => "CRM の設定が正しい",
        "telephony.spool" => "録音の一時保存ディレクトリに書き込める",
        "telephony.recordings.store" => "録音を保存できる",
        "telephony.trunk.host" => "トランクのホスト名を解決できる",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_string());
    }
    if let Some(table) = id.strip_prefix("access.read.") {
        return Some(format!("サービス アカウントが {table} を読める"));
    }
    if let Some(agent) = id
        .strip_prefix("agent.")
        .and_then(|rest| rest.strip_suffix(".crm_access"))
    {
        return Some(format!(
            "エージェント {agent} の CRM アカウントが発信者テーブルとケース テーブルを読める"
        ));
    }
    if let Some(rest) = id.strip_prefix("telephony.queue.") {
        let (queue, what) = rest.rsplit_once('.')?;
        return match what {
            "music" => Some(format!("キュー {queue} の保留音を再生できる")),
            "announcement" => Some(format!("キュー {queue} のアナウンスを再生できる")),
            "agents" => Some(format!("キュー {queue} に応答するエージェントがいる")),
            _ => None,
        };
    }
    if id.starts_with("table.") || id.starts_with("column.") {
        return NAMED
            .iter()
            .find_map(|(en, ja)| english.strip_prefix(en).map(|name| format!("{ja}{name}")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_keeps_the_names_its_id_or_english_title_carries() {
        assert_eq!(
            title_ja(
                "instance.reachable",
                "ServiceNow instance https://acme.service-now.com reachable"
            )
            .as_deref(),
            Some("ServiceNow インスタンス https://acme.service-now.com に接続できる")
        );
        assert_eq!(
            title_ja(
                "oauth.service_grant",
                "Service credential (password grant as svc)"
            )
            .as_deref(),
            Some("サービス資格情報（svc としてパスワード グラント）でトークンを取得できる")
        );
        assert_eq!(
            title_ja(
                "column.lookup.customer_contact.phone",
                "Phone column customer_contact.phone"
            )
            .as_deref(),
            Some("電話番号の列 customer_contact.phone")
        );
        assert_eq!(
            title_ja(
                "agent.alice.crm_access",
                "Agent alice's CRM account can read the caller and Case tables"
            )
            .as_deref(),
            Some("エージェント alice の CRM アカウントが発信者テーブルとケース テーブルを読める")
        );
        assert_eq!(
            title_ja("telephony.queue.front.music", "queue front music plays").as_deref(),
            Some("キュー front の保留音を再生できる")
        );
        assert_eq!(title_ja("column.case.x", "Mystery column x"), None);
        assert_eq!(title_ja("something.new", "Something new"), None);
    }
}
