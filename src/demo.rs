//! The demo data set: organisations of every kind in one real city (札幌市) and an
//! account for each, rentals, and clients of office@ and office2@ with needs, consents
//! and inquiries in every state (`clients`), office@'s year of meetings with corp@ and
//! hsc@, joint guidance and a report to council@ (`meetings`), the 生活サポートシート of
//! office@'s client who moved into landlord@'s flat (`support_sheets`), so a newcomer can try
//! every endpoint at once. Loaded once: a second load finds `operator@demo.example` and does nothing.

pub mod area;
mod clients;
mod meetings;
pub mod support_sheets;

use secrecy::{ExposeSecret, SecretString};

use crate::accounts::{ensure_operator_org, insert_user, new_org};
use crate::auth::password;
use crate::db::api_keys::{self, ApiKey};
use crate::db::{Db, organizations, users};
use crate::domain::organization::OrgKind;
use crate::domain::user::{Email, Role};
use crate::error::{ApiError, ApiResult};

/// 札幌市: prefecture 01, municipality code 011002.
pub const DEMO_PREFECTURE: &str = "01";
pub const DEMO_MUNICIPALITY: &str = "011002";

pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
    /// Index into [`DEMO_ORGS`]; `None` for the operator organisation.
    pub org: Option<usize>,
}

pub const DEMO_ORGS: &[(OrgKind, &str)] = &[
    (OrgKind::SupportOffice, "相談支援事業所 ひだまり"),
    (OrgKind::SupportOffice, "地域生活支援センター みなみ"),
    (OrgKind::HousingSupportCorp, "NPO法人 すまいサポート札幌"),
    (OrgKind::HousingSupportCouncil, "札幌市居住支援協議会"),
    (OrgKind::Council, "札幌市自立支援協議会"),
    (OrgKind::Landlord, "山田ハイツ(家主 山田 一郎)"),
    (OrgKind::Landlord, "株式会社 緑ヶ丘アパート"),
    (OrgKind::RealEstateAgent, "札幌すまい不動産 株式会社"),
];

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "operator@demo.example",
        name: "運営 管理者",
        role: Role::Admin,
        org: None,
    },
    DemoAccount {
        email: "office@demo.example",
        name: "佐藤 花子(相談支援専門員)",
        role: Role::Admin,
        org: Some(0),
    },
    DemoAccount {
        email: "office-staff@demo.example",
        name: "鈴木 健(相談支援専門員)",
        role: Role::Staff,
        org: Some(0),
    },
    DemoAccount {
        email: "office-viewer@demo.example",
        name: "高橋 由美(事務)",
        role: Role::Viewer,
        org: Some(0),
    },
    DemoAccount {
        email: "office2@demo.example",
        name: "田中 誠(相談支援専門員)",
        role: Role::Admin,
        org: Some(1),
    },
    DemoAccount {
        email: "corp@demo.example",
        name: "伊藤 直子(居住支援法人)",
        role: Role::Admin,
        org: Some(2),
    },
    DemoAccount {
        email: "hsc@demo.example",
        name: "渡辺 修(居住支援協議会事務局)",
        role: Role::Admin,
        org: Some(3),
    },
    DemoAccount {
        email: "council@demo.example",
        name: "小林 恵(協議会事務局)",
        role: Role::Admin,
        org: Some(4),
    },
    DemoAccount {
        email: "landlord@demo.example",
        name: "山田 一郎",
        role: Role::Admin,
        org: Some(5),
    },
    DemoAccount {
        email: "landlord2@demo.example",
        name: "中村 洋子",
        role: Role::Admin,
        org: Some(6),
    },
    DemoAccount {
        email: "agent@demo.example",
        name: "加藤 大輔(宅建士)",
        role: Role::Admin,
        org: Some(7),
    },
];

/// How many demo rentals, all in 札幌市.
pub const DEMO_RENTALS: usize = 300;

/// Further support offices in 札幌市 (no accounts), each with a year of meetings with a
/// 居住支援法人 of their own, so that council@'s report covers a real area at once.
pub const DEMO_AREA_OFFICES: usize = 8;

/// The 居住支援法人 the further offices meet with (no accounts).
pub const DEMO_AREA_CORP: &str = "一般社団法人 北のすまい支援センター";

/// Registered rentals of landlord@ and landlord2@ (a third managed by agent@), a few of
/// them certified 居住サポート住宅 run with corp@.
fn demo_rentals(conn: &mut crate::db::DbConn, org_ids: &[String]) -> ApiResult<()> {
    use crate::datagen::Generator;
    use crate::domain::rental::Placement;
    use crate::domain::validate::Fields;
    use crate::routes::rentals::view::{RowMeta, row_from_valid};
    let get = |i: usize| {
        org_ids
            .get(i)
            .cloned()
            .ok_or_else(|| ApiError::internal("demo org index"))
    };
    let (landlord, landlord2, agent, corp) = (get(5)?, get(6)?, get(7)?, get(2)?);
    let mut g = Generator::for_city(2026, "Sapporo").with_support_corp(corp);
    let today = crate::domain::time::today_tokyo();
    for i in 0..DEMO_RENTALS {
        let mut f = Fields::new();
        let v = g.next_input().validate(today, &mut f);
        f.finish()?;
        let v = crate::domain::validate::collected(v)?;
        let owner = if i % 2 == 0 {
            landlord.clone()
        } else {
            landlord2.clone()
        };
        let managed = (i % 3 == 0).then(|| agent.clone());
        let now = crate::db::now();
        let row = row_from_valid(
            v,
            RowMeta {
                id: crate::db::new_id(),
                owner,
                agent: managed,
                placement: Placement::Provided,
                version: 1,
                created_at: now,
                now,
            },
        );
        crate::db::rentals::insert(conn, &row)?;
        crate::db::rentals::insert_history(
            conn,
            &crate::db::rentals::HistoryRow {
                id: crate::db::new_id(),
                rental_id: row.id.clone(),
                version: 1,
                action: "create".into(),
                changed_by_user_id: None,
                changed_by_org_id: Some(row.owner_org_id.clone()),
                changed_at: now,
                snapshot: serde_json::to_string(&row).map_err(ApiError::internal)?,
            },
        )?;
    }
    Ok(())
}

/// office@'s API key for the integration example (examples/office-sync): its secret
/// comes from the demo password, so the demo's key is as well known as the demo's
/// password and no more (README, Demo accounts).
pub const DEMO_API_KEY_PREFIX: &str = "0ff1ce5e0001";
const DEMO_API_KEY_NAME: &str = "ケース記録システム連携 (デモ)";

fn demo_api_key_secret(password: &str) -> String {
    crate::auth::secret_token::sha256_hex(&format!("sumai-link demo api key:{password}"))[..48]
        .to_owned()
}

/// The whole demo API key for a demo password: `slk_<prefix>_<secret>`.
pub fn demo_api_key(password: &str) -> String {
    format!(
        "{}{DEMO_API_KEY_PREFIX}_{}",
        crate::auth::secret_token::API_KEY_MARKER,
        demo_api_key_secret(password)
    )
}

/// Loads the demo data unless it is there already; returns whether it loaded.
pub async fn load(db: &Db, pw: &SecretString) -> ApiResult<bool> {
    let pw = pw.expose_secret().to_owned();
    let key_secret = demo_api_key_secret(&pw);
    // One hash per account (own salt each), made before the transaction.
    let (hashes, key_hash) = actix_web::web::block(move || {
        let hashes = DEMO_ACCOUNTS
            .iter()
            .map(|_| password::hash(&pw))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok::<_, ApiError>((hashes, password::hash(&key_secret)?))
    })
    .await??;
    db.transaction(move |conn| {
        if users::find_by_email(conn, "operator@demo.example")?.is_some() {
            return Ok(false);
        }
        let operator = ensure_operator_org(conn)?;
        let mut org_ids = Vec::new();
        for (kind, name) in DEMO_ORGS {
            let mut org = new_org(*kind, name, Some(DEMO_PREFECTURE), Some(DEMO_MUNICIPALITY));
            org.phone = Some("011-211-0000".into());
            organizations::insert(conn, &org)?;
            org_ids.push(org.id);
        }
        let mut user_ids = std::collections::HashMap::new();
        for (account, hash) in DEMO_ACCOUNTS.iter().zip(hashes) {
            let org = match account.org {
                Some(i) => org_ids
                    .get(i)
                    .cloned()
                    .ok_or_else(|| ApiError::internal("demo org index"))?,
                None => operator.clone(),
            };
            let email = Email::parse(account.email).map_err(ApiError::internal)?;
            let user = insert_user(conn, &org, &email, account.name, account.role, hash)?;
            user_ids.insert(account.email, user.id);
        }
        demo_rentals(conn, &org_ids)?;
        let org = |i: usize| {
            org_ids
                .get(i)
                .cloned()
                .ok_or_else(|| ApiError::internal("demo org index"))
        };
        let user = |email: &str| {
            user_ids
                .get(email)
                .cloned()
                .ok_or_else(|| ApiError::internal("demo user"))
        };
        let demo_clients = clients::demo_clients(
            conn,
            &clients::Parties {
                office: org(0)?,
                office2: org(1)?,
                corp: org(2)?,
                landlord: org(5)?,
                office_user: user("office@demo.example")?,
                office2_user: user("office2@demo.example")?,
                landlord_user: user("landlord@demo.example")?,
            },
        )?;
        let (office, office_user) = (org(0)?, user("office@demo.example")?);
        api_keys::insert(
            conn,
            &ApiKey {
                id: crate::db::new_id(),
                organization_id: office.clone(),
                name: DEMO_API_KEY_NAME.into(),
                role: Role::Staff.as_str().into(),
                prefix: DEMO_API_KEY_PREFIX.into(),
                secret_hash: key_hash,
                created_by: office_user.clone(),
                created_at: crate::db::now(),
                expires_at: None,
                last_used_at: None,
                revoked_at: None,
            },
        )?;
        let tenant = demo_clients
            .iter()
            .find(|c| c.display_code == "HM-0001")
            .ok_or_else(|| ApiError::internal("the demo's tenant"))?;
        support_sheets::seed(
            conn,
            tenant,
            &support_sheets::Parties {
                office: &office,
                corp: &org(2)?,
                landlord: &org(5)?,
                office_user: &office_user,
                landlord_user: &user("landlord@demo.example")?,
            },
        )?;
        let office_clients: Vec<_> = demo_clients
            .iter()
            .filter(|c| c.office_org_id == office)
            .collect();
        meetings::demo_meetings(
            conn,
            &meetings::Parties {
                office: &office,
                office2: &org(1)?,
                corp: &org(2)?,
                hsc: &org(3)?,
                council: &org(4)?,
                office_user: &office_user,
            },
            &office_clients,
        )?;
        let area_corp = new_org(
            OrgKind::HousingSupportCorp,
            DEMO_AREA_CORP,
            Some(DEMO_PREFECTURE),
            Some(DEMO_MUNICIPALITY),
        );
        organizations::insert(conn, &area_corp)?;
        area::seed(
            conn,
            &area::AreaParties {
                corp: &area_corp.id,
                council: &org(4)?,
                landlord: &org(5)?,
                // No refusals: landlord@'s inquiries stay those of office@ and office2@.
                rentals: &[],
                user: &office_user,
                prefecture: DEMO_PREFECTURE,
                municipality: DEMO_MUNICIPALITY,
            },
            0..DEMO_AREA_OFFICES,
            crate::db::now(),
        )?;
        Ok(true)
    })
    .await
}
