//! Field errors in Japanese. The checks are the domain's (the same as the API's); their
//! messages are written in English for API clients, and the portal shows each one in
//! Japanese next to its field. An English message without a translation here is shown
//! with the field's Japanese name and a plain request to check it.

/// The Japanese name of a field of the rental form.
pub fn label(field: &str) -> &'static str {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "registration_number" => "登録番号",
        "registration_date" => "登録日",
        "postal_code" => "郵便番号",
        "prefecture_code" => "都道府県コード",
        "municipality_code" => "市区町村コード",
        "municipality_name" => "市区町村名",
        "address_line" => "町名・番地",
        "latitude" => "緯度",
        "longitude" => "経度",
        "building_name" => "建物名",
        "unit_number" => "部屋番号",
        "structure" => "構造",
        "year_built" => "建築年",
        "quake_resistant" => "新耐震基準",
        "floors_total" => "建物の階数",
        "unit_floor" => "所在階",
        "elevator" => "エレベーター",
        "accessibility" => "バリアフリー設備",
        "floor_area_m2" => "専有面積",
        "layout" => "間取り",
        "rent" => "家賃",
        "common_fee" => "共益費・管理費",
        "deposit" => "敷金",
        "key_money" => "礼金",
        "guarantor_accepted" => "連帯保証人",
        "guarantee_company_accepted" => "保証",
        "guarantee_companies" => "保証会社名",
        "rent_reduction" => "家賃低廉化",
        "rent_reduction_yen" => "低廉化の額",
        "accepted_categories" => "受け入れる方",
        "conditions" => "入居の条件",
        "pets_allowed" => "ペット",
        "support_housing" => "居住サポート住宅",
        "vacancy" => "空き状況",
        "vacant_from" => "入居可能日",
        "photos" => "写真",
        "notes" => "備考",
        "owner_org_id" => "家主",
        "agent_org_id" => "管理会社",
        "email" => "メールアドレス",
        "password" | "current_password" => "現在のパスワード",
        "new_password" => "新しいパスワード",
        "viewing_at" => "内見日時",
        "decline_reason" => "お断りの理由",
        "decline_note" => "理由の詳細",
        "note" => "メモ",
        "kind" => "種類",
        "observed_on" => "気づいた日",
        "to" => "操作",
        _ => "入力",
    }
}

/// `message` (the domain's, in English) as a Japanese sentence about `field`.
pub fn for_field(field: &str, message: &str) -> String {
    let m = message;
    let num = |after: &str| -> String {
        m.split(after)
            .nth(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ',')
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    if m == "must not be empty" {
        match label(field) {
            "入力" => "入力してください。".to_owned(),
            l => format!("{l}を入力してください。"),
        }
    } else if let Some(rest) = m.strip_prefix("must be at most ") {
        let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if rest.contains("characters") {
            format!("{n}文字以内で入力してください。")
        } else {
            format!("{n}件以内にしてください。")
        }
    } else if m.starts_with("at most ") {
        format!("{}件以内にしてください。", num("at most "))
    } else if m == "must not contain control characters" {
        "使えない文字が含まれています。".to_owned()
    } else if m == "must not be in the future" {
        "未来の日付は入力できません。".to_owned()
    } else if m.starts_with("must be on or after 2017-10-25") {
        "登録制度が始まった2017年10月25日以降の日付を入力してください。".to_owned()
    } else if m == "must be a date YYYY-MM-DD" {
        "日付を「2026-04-01」の形で入力してください。".to_owned()
    } else if m == "must be within two years" {
        "2年以内の日付を入力してください。".to_owned()
    } else if m.starts_with("must be the prefecture code, a hyphen") {
        "都道府県コード・ハイフン・番号の形（例: 01-000123）で入力してください。".to_owned()
    } else if m.starts_with("starts with prefecture") {
        "登録番号の都道府県コードが住所の都道府県と違います。".to_owned()
    } else if m.starts_with("must be a two-digit prefecture code") {
        "01〜47の2桁の都道府県コードを入力してください。".to_owned()
    } else if m.starts_with("must be a 5- or 6-digit municipality code") {
        "5桁または6桁の全国地方公共団体コードを入力してください（例: 011002）。".to_owned()
    } else if m.starts_with("starts with an unknown prefecture code") {
        "市区町村コードの先頭2桁が都道府県コードではありません。".to_owned()
    } else if m.starts_with("check digit is wrong") {
        "市区町村コードの検査数字（6桁目）が違います。".to_owned()
    } else if m.starts_with("is not in prefecture") {
        "この市区町村は入力した都道府県にありません。".to_owned()
    } else if m.starts_with("must be a 7-digit postal code") {
        "7桁の郵便番号を入力してください（例: 060-0001）。".to_owned()
    } else if m.starts_with("must be inside Japan") {
        "日本国内の位置を入力してください。".to_owned()
    } else if m == "give both latitude and longitude, or neither" {
        "緯度と経度は両方入力するか、両方空欄にしてください（空欄なら住所から位置を調べます）。"
            .to_owned()
    } else if m.starts_with("must be one of wood") {
        "構造を選んでください。".to_owned()
    } else if m.starts_with("must be between 1900 and") {
        format!("1900年から{}年までで入力してください。", num("and "))
    } else if m == "must be between 1 and 100" {
        "1〜100階で入力してください。".to_owned()
    } else if m.starts_with("must be 1 or more") {
        "1階以上（地下は-1〜-5）で入力してください。".to_owned()
    } else if m.starts_with("must not be above the building's") {
        format!(
            "建物の階数（{}階）より上の階は入力できません。",
            num("building's ")
        )
    } else if m.starts_with("must be between 5 and 500") {
        "5〜500㎡で入力してください。".to_owned()
    } else if m.starts_with("must be a layout such as") {
        "間取りを選んでください（1R、1K、1DK、1LDK、2DK など）。".to_owned()
    } else if let Some(rest) = m.strip_prefix("must be between ")
        && rest.ends_with(" yen")
    {
        let mut parts = rest.trim_end_matches(" yen").split(" and ");
        let lo = parts.next().unwrap_or_default();
        let hi = parts.next().unwrap_or_default();
        format!("{lo}円から{hi}円までの金額を入力してください。")
    } else if m.starts_with("accept a personal guarantor or a guarantee company") {
        "連帯保証人か保証会社（または両方）を受け入れてください。どちらもないと入居できません。"
            .to_owned()
    } else if m == "give an amount only when rent_reduction is true" {
        "家賃低廉化がない場合、額は空欄にしてください。".to_owned()
    } else if m == "is required when rent_reduction is true" {
        "家賃低廉化の月額を入力してください。".to_owned()
    } else if m == "must be less than the rent" {
        "家賃より少ない額を入力してください。".to_owned()
    } else if m.starts_with("name at least one category") {
        "受け入れる方を1つ以上選んでください（すべての方を受け入れる場合は「すべて」）。".to_owned()
    } else if m.starts_with("unknown value") {
        "選べない値です。一覧から選んでください。".to_owned()
    } else if m == "give a date only for a vacant unit" {
        "入居中の場合、入居可能日は空欄にしてください。".to_owned()
    } else if m == "must be vacant or occupied" {
        "空室か入居中かを選んでください。".to_owned()
    } else if m.starts_with("must be an http(s) URL") {
        "https:// で始まるURLを入力してください。".to_owned()
    } else if m == "at most 20 photos" {
        "写真は20枚までです。".to_owned()
    } else if m.starts_with("must be the id of a 居住支援法人")
        || m.contains("is not an active 居住支援法人")
    {
        "居住支援法人を選んでください。".to_owned()
    } else if m.contains("daily 安否確認") {
        "居住サポート住宅は毎日の安否確認を行います。".to_owned()
    } else if m.contains("monthly visit") {
        "居住サポート住宅は月1回の訪問を行います。".to_owned()
    } else if m.starts_with("list at least one service") {
        "つなぎ先を1件以上入力してください。".to_owned()
    } else if m.starts_with("must be a Japanese phone number") {
        "電話番号を「011-123-4567」や「090-1234-5678」の形で入力してください。".to_owned()
    } else if m.starts_with("a rental with this registration number") {
        "この登録番号・部屋番号の住宅はすでに登録されています。".to_owned()
    } else if m.starts_with("name the landlord organisation") {
        "家主を選んでください。".to_owned()
    } else if m.contains("is not an active landlord organisation") {
        "有効な家主ではありません。".to_owned()
    } else if m.contains("is not an active real-estate agent organisation") {
        "有効な管理会社（宅建業者）ではありません。".to_owned()
    } else if m == "the owner of a rental cannot be changed" {
        "家主は変更できません。".to_owned()
    } else if m == "only the landlord changes who manages its rental" {
        "管理会社を変えられるのは家主だけです。".to_owned()
    } else if m == "is wrong" {
        "正しくありません。".to_owned()
    } else if m.starts_with("must be at least") && m.contains("characters") {
        format!("{}文字以上にしてください。", num("at least "))
    } else if m == "must not repeat one character" {
        "同じ文字だけのパスワードは使えません。".to_owned()
    } else if m == "must be in the future" {
        "これから先の日時を入力してください。".to_owned()
    } else if m == "a viewing needs its date and time" {
        "内見の日時を入力してください。".to_owned()
    } else if m.starts_with("a decline needs the landlord's reason") {
        "お断りの理由を選んでください。".to_owned()
    } else if m == "say what the other reason is" {
        "「その他」の場合は理由を書いてください。".to_owned()
    } else if m.starts_with("must be within the last 90 days") {
        "90日以内の日付を入力してください。それより前のことは事業所に直接ご連絡ください。"
            .to_owned()
    } else if is_japanese(m) {
        m.to_owned()
    } else {
        "入力内容を確認してください。".to_owned()
    }
}

fn is_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c))
        && s.chars().filter(char::is_ascii_alphabetic).count() < 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rental::RentalInput;
    use crate::domain::validate::Fields;
    use crate::error::ApiError;

    fn errors_of(input: RentalInput) -> Vec<(String, String)> {
        let mut f = Fields::new();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let _ = input.validate(today, &mut f);
        match f.finish() {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn every_error_of_a_bad_rental_has_its_own_japanese_sentence() {
        let bad = RentalInput {
            registration_number: "x".into(),
            registration_date: "2030-01-01".into(),
            postal_code: Some("12".into()),
            prefecture_code: "01".into(),
            municipality_code: "131016".into(),
            municipality_name: " ".into(),
            address_line: String::new(),
            latitude: Some(10.0),
            longitude: Some(200.0),
            structure: "paper".into(),
            year_built: 1800,
            floors_total: 2,
            unit_floor: 5,
            floor_area_m2: 1.0,
            layout: "9Z".into(),
            rent: -5,
            common_fee: 0,
            rent_reduction: false,
            rent_reduction_yen: Some(100),
            accepted_categories: vec![],
            accessibility: vec!["flying".into()],
            vacancy: "maybe".into(),
            photos: vec!["javascript:alert(1)".into()],
            ..RentalInput::default()
        };
        let errors = errors_of(bad);
        assert!(errors.len() >= 12, "{errors:?}");
        for (field, message) in errors {
            let ja = for_field(&field, &message);
            assert_ne!(
                ja, "入力内容を確認してください。",
                "no Japanese for {field}: {message}"
            );
            assert!(
                ja.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c)),
                "{field}: {ja}"
            );
            assert_ne!(label(&field), "入力", "no label for {field}");
        }
    }

    #[test]
    fn numbers_of_the_message_are_kept() {
        assert_eq!(
            for_field("rent", "must be between 1000 and 1000000 yen"),
            "1000円から1000000円までの金額を入力してください。"
        );
        assert_eq!(
            for_field("unit_floor", "must not be above the building's 3 floors"),
            "建物の階数（3階）より上の階は入力できません。"
        );
        assert_eq!(
            label("support_housing.connections[0].phone"),
            "居住サポート住宅"
        );
    }
}
