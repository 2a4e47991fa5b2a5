//! Who stands how to a sheet, and the records every access leaves: an audit record on
//! the client, and for another organisation a provision record per consent it relied
//! on (APPI 第三者提供記録, kept three years).

use crate::auth::{Caller, SheetAccess};
use crate::db::clients::{ClientRow, ConsentRow, ProvisionRow};
use crate::db::support_sheets::{self, SheetRow};
use crate::db::{self, DbConn, audit, clients};
use crate::domain::client::keep_provision_until;
use crate::domain::organization::OrgKind;
use crate::domain::support_sheet::Section;
use crate::domain::time::today_tokyo;
use crate::error::{ApiError, ApiResult};

/// A sheet with its client and the caller's standing.
pub struct Loaded {
    pub sheet: SheetRow,
    pub client: ClientRow,
    pub access: SheetAccess,
    /// CoWriter: the share_with_corp consent it reads under.
    pub corp_consent: Option<ConsentRow>,
    /// Recipient: the section consents naming the caller's organisation.
    pub section_consents: Vec<ConsentRow>,
}

impl Loaded {
    /// The sections the caller may see.
    pub fn sections(&self) -> Vec<Section> {
        match self.access {
            SheetAccess::Office | SheetAccess::CoWriter => Section::ALL.to_vec(),
            SheetAccess::Recipient => Section::ALL
                .iter()
                .copied()
                .filter(|s| {
                    self.section_consents
                        .iter()
                        .any(|c| c.sheet_section.as_deref() == Some(s.as_str()))
                })
                .collect(),
            SheetAccess::None => Vec::new(),
        }
    }

    /// Whether the caller reads drafts and every version (the office and its partner).
    pub fn full(&self) -> bool {
        matches!(self.access, SheetAccess::Office | SheetAccess::CoWriter)
    }
}

/// Loads sheet `id` and decides how the caller stands to it; the policy then says what
/// that standing allows. An unknown id and a sheet the caller may not see both end in
/// the policy's 404.
pub fn load(conn: &mut DbConn, caller: &Caller, id: &str) -> ApiResult<Loaded> {
    let sheet = support_sheets::find(conn, id)?;
    let client = clients::find(conn, &sheet.client_id)?;
    let org = caller.organization_id.to_string();
    let mut loaded = Loaded {
        sheet,
        client,
        access: SheetAccess::None,
        corp_consent: None,
        section_consents: Vec::new(),
    };
    if org == loaded.sheet.office_org_id {
        loaded.access = SheetAccess::Office;
        return Ok(loaded);
    }
    if loaded.client.deleted_at.is_some() {
        return Ok(loaded);
    }
    if caller.org_kind == OrgKind::HousingSupportCorp {
        loaded.corp_consent =
            clients::active_consent(conn, &loaded.client.id, "share_with_corp", Some(&org))?;
        if loaded.corp_consent.is_some() {
            loaded.access = SheetAccess::CoWriter;
            return Ok(loaded);
        }
    }
    if loaded.sheet.published_version.is_none() {
        return Ok(loaded);
    }
    let consents = support_sheets::section_consents(conn, &loaded.client.id, &org)?;
    if consents.is_empty() {
        return Ok(loaded);
    }
    // A landlord sees the sheet of its tenant (or applicant), not of any client who
    // once consented: the inquiry must still be alive.
    let landlord = matches!(
        caller.org_kind,
        OrgKind::Landlord | OrgKind::RealEstateAgent
    );
    if landlord && !support_sheets::landlord_of_client(conn, &loaded.client.id, &org)? {
        return Ok(loaded);
    }
    loaded.section_consents = consents;
    loaded.access = SheetAccess::Recipient;
    Ok(loaded)
}

/// Records one access to the sheet's content: the audit record always, provision
/// records when it goes to another organisation.
pub fn record(
    conn: &mut DbConn,
    caller: &Caller,
    loaded: &Loaded,
    action: &str,
    version: i32,
    shown: &[Section],
    format: &str,
) -> ApiResult<()> {
    let names: Vec<&str> = shown.iter().map(|s| s.as_str()).collect();
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "client",
            object_id: Some(loaded.client.id.clone()),
            outcome: "ok",
            detail: serde_json::json!({
                "items": "support_sheet",
                "sheet_id": loaded.sheet.id,
                "version": version,
                "format": format,
                "sections": names,
            }),
        },
    )?;
    let provide = |conn: &mut DbConn, consent: &ConsentRow, items: String| -> ApiResult<()> {
        let now = db::now();
        clients::log_provision(
            conn,
            &ProvisionRow {
                id: db::new_id(),
                client_id: loaded.client.id.clone(),
                recipient_org_id: caller.organization_id.to_string(),
                consent_id: consent.id.clone(),
                purpose: consent.purpose.clone(),
                items,
                provided_at: now,
                provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                keep_until: keep_provision_until(today_tokyo()),
            },
        )
        .map_err(ApiError::from)
    };
    match loaded.access {
        SheetAccess::CoWriter => {
            if let Some(c) = &loaded.corp_consent {
                provide(
                    conn,
                    c,
                    format!("生活サポートシート 第{version}版 全欄 ({format})"),
                )?;
            }
        }
        SheetAccess::Recipient => {
            for s in shown {
                if let Some(c) = loaded
                    .section_consents
                    .iter()
                    .find(|c| c.sheet_section.as_deref() == Some(s.as_str()))
                {
                    provide(
                        conn,
                        c,
                        format!(
                            "生活サポートシート 第{version}版 {} ({format})",
                            s.label_ja()
                        ),
                    )?;
                }
            }
        }
        SheetAccess::Office | SheetAccess::None => {}
    }
    Ok(())
}
