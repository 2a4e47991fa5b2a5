//! The demo's 生活サポートシート: 山本 直樹 (HM-0001) moved into a flat of landlord@ a
//! week ago. Modelled on the Aさん case: the network around him, his crisis plan, the
//! landlord's share (the emergency contacts and what happens when; not his own words
//! nor his payment arrangements), a draft of the next version, and one concern the
//! landlord reported.

use chrono::{Duration, NaiveDateTime};

use crate::db::clients::{ClientRow, ConsentRow};
use crate::db::support_sheets::{self, ConcernRow, SheetRow, VersionRow};
use crate::db::{self, DbConn, clients};
use crate::domain::ids::OrganizationId;
use crate::domain::support_sheet::concern::{ConcernKind, route};
use crate::domain::support_sheet::*;
use crate::domain::time::date_in_tokyo;
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

fn contact(
    key: &str,
    kind: ContactKind,
    organization: &str,
    person: Option<&str>,
    role: &str,
    phone: &str,
) -> Contact {
    Contact {
        key: key.into(),
        kind,
        organization: organization.into(),
        person: person.map(str::to_owned),
        role: role.into(),
        phone: phone.into(),
        hours: vec![weekdays("09:00", "17:30")],
        night_holiday: None,
        organization_id: None,
    }
}

fn weekdays(from: &str, to: &str) -> Hours {
    Hours {
        days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
        from: from.into(),
        to: to.into(),
    }
}

fn step(contact: &str, action: &str, within: Speed) -> Step {
    Step {
        contact: contact.into(),
        action: action.into(),
        within,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A full sheet for a tenant supported by `office` with `corp` (their accounts, when
/// they have one, receive the concerns routed to them), reviewed on `reviewed_on`.
pub fn sample_sections(
    office: Option<OrganizationId>,
    corp: Option<OrganizationId>,
    reviewed_on: chrono::NaiveDate,
) -> Sections {
    let mut office_c = contact(
        "office",
        ContactKind::SupportOffice,
        "相談支援事業所 ひだまり",
        Some("佐藤 花子"),
        "相談支援専門員。生活全体の相談、関係機関の調整、このシートの管理",
        "011-211-0000",
    );
    office_c.organization_id = office;
    let mut clinic = contact(
        "clinic",
        ContactKind::Clinic,
        "さっぽろ駅前クリニック",
        Some("主治医 高田"),
        "精神科の主治医。2週に1回の通院、服薬の調整",
        "011-222-3344",
    );
    clinic.hours.push(Hours {
        days: vec![Day::Sat],
        from: "09:00".into(),
        to: "12:00".into(),
    });
    let mut nursing = contact(
        "nursing",
        ContactKind::HomeNursing,
        "訪問看護ステーション すずらん",
        Some("看護師 森"),
        "週1回の訪問、服薬と体調の確認。夜間は24時間対応の携帯へ",
        "011-233-4455",
    );
    nursing.night_holiday = Some(AfterHours {
        phone: "090-1234-5678".into(),
        note: Some("24時間対応".into()),
    });
    let mut corp_c = contact(
        "corp",
        ContactKind::HousingSupportCorp,
        "NPO法人 すまいサポート札幌",
        Some("伊藤 直子"),
        "見守り(週1回の電話、月1回の訪問)と家賃債務保証、住まいの困りごとの相談",
        "011-244-5566",
    );
    corp_c.organization_id = corp;
    corp_c.night_holiday = Some(AfterHours {
        phone: "080-9876-5432".into(),
        note: Some("見守り当番".into()),
    });
    let mut work = contact(
        "work",
        ContactKind::WelfareService,
        "就労継続支援B型 つばさ",
        Some("職員 岡田"),
        "平日の日中活動。欠席が続くときは相談支援事業所へ連絡",
        "011-255-6677",
    );
    work.hours = vec![weekdays("09:30", "16:00")];
    let city = contact(
        "city",
        ContactKind::Government,
        "札幌市 中央区保健福祉課",
        Some("障害福祉担当"),
        "障害福祉サービスの支給、生活保護の相談",
        "011-205-3300",
    );
    let mut agent = contact(
        "agent",
        ContactKind::RealEstate,
        "札幌すまい不動産 株式会社",
        Some("宅建士 加藤"),
        "建物・設備の不具合、近隣との調整",
        "011-266-7788",
    );
    agent.hours = vec![Hours {
        days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat],
        from: "10:00".into(),
        to: "18:00".into(),
    }];
    let mut sister = contact(
        "sister",
        ContactKind::Informal,
        "姉",
        Some("山本 恵子"),
        "緊急時の連絡先。月1回程度の電話",
        "090-2222-3333",
    );
    sister.hours = Vec::new();
    Sections {
        person: Person {
            own_words: "通院先の近くで、静かに一人暮らしがしたい。仕事を続けて、いつかは一般就労をしたい。困ったときは早めに相談するので、話を聞いてほしい。".into(),
            wishes: strings(&["B型事業所に休まず通う", "自分で料理をする", "姉と月に一度は話す"]),
            what_helps: strings(&["ゆっくり、ひとつずつ話してもらうこと", "予定を紙に書いて渡してもらうこと"]),
            what_to_avoid: strings(&["大きな声で責めること", "予告なしに部屋に入ること"]),
        },
        network: vec![office_c, clinic, nursing, corp_c, work, city, agent, sister],
        schedule: vec![
            Visit {
                contact: "nursing".into(),
                what: "訪問看護(服薬と体調の確認)".into(),
                frequency: Frequency::Weekly,
                days: vec![Day::Tue],
                time: Some("14:00".into()),
            },
            Visit {
                contact: "corp".into(),
                what: "見守りの電話".into(),
                frequency: Frequency::Weekly,
                days: vec![Day::Fri],
                time: Some("18:00".into()),
            },
            Visit {
                contact: "office".into(),
                what: "自宅訪問(モニタリング)".into(),
                frequency: Frequency::Monthly,
                days: Vec::new(),
                time: None,
            },
            Visit {
                contact: "clinic".into(),
                what: "通院(本人が通う)".into(),
                frequency: Frequency::Biweekly,
                days: vec![Day::Thu],
                time: Some("10:00".into()),
            },
        ],
        scenarios: vec![
            Scenario {
                kind: ScenarioKind::RentLate,
                signs: Vec::new(),
                what_helps: Vec::new(),
                steps: vec![
                    step("corp", "本人に連絡し、事情を聞く。保証の手続き", Speed::WithinThreeDays),
                    step("office", "生活の変化がないか確認し、関係機関と相談", Speed::WithinAWeek),
                ],
            },
            Scenario {
                kind: ScenarioKind::NeighbourTrouble,
                signs: Vec::new(),
                what_helps: strings(&["本人の話を先に聞くこと"]),
                steps: vec![
                    step("office", "本人と話し、必要なら訪問して一緒に対応を考える", Speed::SameDay),
                    step("agent", "近隣の方との調整", Speed::WithinThreeDays),
                ],
            },
            Scenario {
                kind: ScenarioKind::HealthWorse,
                signs: strings(&["眠れない日が3日以上続く", "独り言が増える", "B型事業所を休みがちになる"]),
                what_helps: strings(&["頓服薬を飲む", "訪問看護に電話して話す", "静かな部屋で休む"]),
                steps: vec![
                    step("nursing", "電話で状態を確認し、必要なら臨時訪問", Speed::WithinAnHour),
                    step("clinic", "受診の調整(夜間・休日は訪問看護経由)", Speed::SameDay),
                    step("office", "関係機関への連絡と今後の支援の調整", Speed::SameDay),
                ],
            },
            Scenario {
                kind: ScenarioKind::NoContact,
                signs: Vec::new(),
                what_helps: Vec::new(),
                steps: vec![
                    step("corp", "電話、応答がなければ訪問して安否確認(管理会社の立会いで入室)", Speed::SameDay),
                    step("sister", "家族への連絡", Speed::SameDay),
                ],
            },
            Scenario {
                kind: ScenarioKind::Disaster,
                signs: Vec::new(),
                what_helps: strings(&["避難所: 中央小学校"]),
                steps: vec![
                    step("corp", "安否確認と避難の手伝い", Speed::SameDay),
                    step("office", "福祉避難所・サービスの調整", Speed::WithinThreeDays),
                ],
            },
            Scenario {
                kind: ScenarioKind::MovingOut,
                signs: Vec::new(),
                what_helps: Vec::new(),
                steps: vec![
                    step("office", "本人の意向の確認と次の住まいの相談", Speed::WithinAWeek),
                    step("corp", "残置物の整理と退去の手続きの支援", Speed::WithinAWeek),
                ],
            },
        ],
        payment: Payment {
            method: PaymentMethod::GuaranteeCompanyCollection,
            due_day: 27,
            guarantee: GuaranteeKind::HousingSupportCorp,
            guarantor: Some("NPO法人 すまいサポート札幌".into()),
            note: Some("障害年金の入金日(偶数月15日)の後に引き落とし".into()),
        },
        review: Review {
            reviewed_on: reviewed_on.to_string(),
            next_review_on: (reviewed_on + Duration::days(180)).to_string(),
            reviewed_with: strings(&["本人", "相談支援専門員 佐藤", "居住支援法人 伊藤", "訪問看護 森"]),
            note: Some("入居に合わせて作成".into()),
        },
    }
}

pub struct Parties<'a> {
    pub office: &'a str,
    pub corp: &'a str,
    pub landlord: &'a str,
    pub office_user: &'a str,
    pub landlord_user: &'a str,
}

fn section_consent(
    conn: &mut DbConn,
    client: &ClientRow,
    section: Section,
    recipient: &str,
    by: &str,
    now: NaiveDateTime,
) -> ApiResult<()> {
    clients::insert_consent(
        conn,
        &ConsentRow {
            id: db::new_id(),
            client_id: client.id.clone(),
            purpose: "support_sheet_section".into(),
            recipient_org_id: Some(recipient.to_owned()),
            sheet_section: Some(section.as_str().to_owned()),
            method: "written".into(),
            given_on: date_in_tokyo(utc(now)) - Duration::days(9),
            recorded_by_user_id: by.to_owned(),
            recorded_at: now - Duration::days(9),
            withdrawn_at: None,
            withdrawn_by_user_id: None,
            note: Some("入居前のケース会議で説明し、書面で同意".into()),
        },
    )?;
    Ok(())
}

/// The sheet of `client`: version 1 published before the move-in, version 2 a draft.
pub fn seed(conn: &mut DbConn, client: &ClientRow, p: &Parties<'_>) -> ApiResult<()> {
    let now = db::now();
    let org = |s: &str| OrganizationId::from_db(s).map_err(ApiError::internal);
    let reviewed = date_in_tokyo(utc(now)) - Duration::days(10);
    let first = sample_sections(Some(org(p.office)?), Some(org(p.corp)?), reviewed);
    let mut second = first.clone();
    if let Some(n) = second.network.iter_mut().find(|c| c.key == "work") {
        n.role = "平日の日中活動(週4日)。欠席が続くときは相談支援事業所へ連絡".into();
    }
    second.review.note = Some("通所日数の変更を反映(下書き)".into());
    let sheet = SheetRow {
        id: db::new_id(),
        client_id: client.id.clone(),
        office_org_id: p.office.to_owned(),
        latest_version: 2,
        published_version: Some(1),
        created_at: now - Duration::days(10),
        updated_at: now - Duration::days(1),
    };
    let version = |n: i32, s: &Sections, at: NaiveDateTime, published: bool, note: &str| {
        Ok::<_, ApiError>(VersionRow {
            sheet_id: sheet.id.clone(),
            version: n,
            sections: serde_json::to_string(s).map_err(ApiError::internal)?,
            note: Some(note.into()),
            author_user_id: p.office_user.to_owned(),
            author_org_id: p.office.to_owned(),
            created_at: at,
            published_at: published.then_some(at + Duration::hours(2)),
            published_by_user_id: published.then(|| p.office_user.to_owned()),
        })
    };
    support_sheets::insert(
        conn,
        &sheet,
        &version(
            1,
            &first,
            now - Duration::days(10),
            true,
            "初版(入居前のケース会議で本人と作成)",
        )?,
    )?;
    support_sheets::insert_version(
        conn,
        &version(2, &second, now - Duration::days(1), false, "通所日数の変更")?,
    )?;
    for s in [
        Section::Network,
        Section::Schedule,
        Section::Scenarios,
        Section::Review,
    ] {
        section_consent(conn, client, s, p.landlord, p.office_user, now)?;
    }
    for s in Section::ALL {
        section_consent(conn, client, *s, p.corp, p.office_user, now)?;
    }
    let to = route(&first, ConcernKind::RentLate)
        .ok_or_else(|| ApiError::internal("the demo sheet routes rent late"))?;
    support_sheets::insert_concern(
        conn,
        &ConcernRow {
            id: db::new_id(),
            sheet_id: sheet.id.clone(),
            sheet_version: 1,
            kind: ConcernKind::RentLate.as_str().into(),
            note: Some("今月分の家賃の入金がまだ確認できません。".into()),
            observed_on: date_in_tokyo(utc(now)) - Duration::days(1),
            reported_by_org_id: p.landlord.to_owned(),
            reported_by_user_id: Some(p.landlord_user.to_owned()),
            reported_at: now - Duration::hours(20),
            routed_to: serde_json::to_string(&to).map_err(ApiError::internal)?,
            acknowledged_at: None,
            acknowledged_by_user_id: None,
        },
    )?;
    Ok(())
}
