//! The add-ons of a month as a CSV file for an office's billing staff: one row per client
//! and add-on, Japanese headers, UTF-8 with a byte-order mark so that spreadsheet
//! software on Windows reads the Japanese right. Ids are joined with `;` in one cell.

use super::add_ons::OfficeAddOns;

pub const HEADER: [&str; 12] = [
    "対象月",
    "利用者コード",
    "利用者ID",
    "加算コード",
    "加算名",
    "算定可否",
    "単位数",
    "回数",
    "根拠:情報連携の場",
    "根拠:説明・指導",
    "根拠:協議会への報告",
    "算定できない理由",
];

fn joined<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

pub fn render(view: &OfficeAddOns) -> Result<Vec<u8>, csv::Error> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(HEADER)?;
        let month = view.month.to_string();
        for c in &view.clients {
            let client_id = c.client_id.to_string();
            for l in &c.add_ons {
                let reasons: Vec<String> = l
                    .reasons
                    .iter()
                    .map(|r| format!("[{}] {}", serde_plain(&r.code), r.message))
                    .collect();
                w.write_record([
                    month.as_str(),
                    c.display_code.as_str(),
                    client_id.as_str(),
                    l.add_on.as_str(),
                    l.name_ja.as_str(),
                    if l.claimable { "可" } else { "否" },
                    &l.units.map(|u| u.to_string()).unwrap_or_default(),
                    &l.times.to_string(),
                    &joined(&l.evidence_ids.meetings),
                    &joined(&l.evidence_ids.guidance_sessions),
                    &joined(&l.evidence_ids.council_reports),
                    &reasons.join(" / "),
                ])?;
            }
        }
        w.flush()?;
    }
    Ok(out)
}

/// The code as it appears in JSON (`only_plan_consultation`).
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
