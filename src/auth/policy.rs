//! The one place that answers "may this caller do this to this object?". Every handler
//! asks it before reading or writing.
//!
//! An object of another organisation that the caller may not see answers 404, never 403,
//! so that ids cannot be probed. 403 means: you may see this, but your role or your kind
//! of organisation may not do that to it.

use crate::auth::caller::Caller;
use crate::domain::ids::OrganizationId;
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    List,
    Create,
    Update,
    Delete,
}

/// What is acted on, with the facts about it the rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// The collection of all organisations.
    Organizations,
    Organization(OrganizationId),
    /// The users of one organisation (list/create) or one of them (read/update/delete).
    Users {
        organization_id: OrganizationId,
    },
    /// The API keys of one organisation, or one of them.
    ApiKeys {
        organization_id: OrganizationId,
    },
    /// The webhook subscriptions of one organisation (and their deliveries), or one of
    /// them.
    Webhooks {
        organization_id: OrganizationId,
    },
    /// The register of rentals as a whole (create, import).
    Rentals,
    /// One rental, with the landlord that owns it and the agent that manages it.
    Rental {
        owner: OrganizationId,
        agent: Option<OrganizationId>,
    },
    /// Support offices' clients as a whole (list, register).
    Clients,
    /// One client (要配慮個人情報): its office, and whether an active consent shares it
    /// with the caller's organisation (a 居住支援法人).
    Client {
        office: OrganizationId,
        shared_with_caller: bool,
    },
    /// What a client's office keeps about the client for itself, even when the client's
    /// data is shared with a 居住支援法人: the consents, the provision log, matching.
    ClientRecords {
        office: OrganizationId,
        shared_with_caller: bool,
        record: ClientRecord,
    },
    /// Inquiries as a whole (list, propose).
    Inquiries,
    /// One inquiry: the client's office, and the rental's landlord and agent. `Create`
    /// and `Update` mean taking a step of that side.
    Inquiry {
        office: OrganizationId,
        landlord: OrganizationId,
        agent: Option<OrganizationId>,
    },
    /// Information-sharing meetings as a whole (list, record).
    Meetings,
    /// One meeting: the office that held it, and whether the caller's organisation
    /// attended it as a partner (a 居住支援法人 or 居住支援協議会).
    Meeting {
        office: OrganizationId,
        partner: bool,
    },
    /// Joint guidance sessions as a whole (list, record).
    GuidanceSessions,
    /// One joint guidance session: the office and the 居住支援法人 that gave it.
    GuidanceSession {
        office: OrganizationId,
        corp: OrganizationId,
    },
    /// Written reports to councils as a whole (list, draft).
    CouncilReports,
    /// One written report: the office that writes it, the council it is addressed to,
    /// and whether it was submitted.
    CouncilReport {
        office: OrganizationId,
        council: OrganizationId,
        submitted: bool,
    },
    /// A council's report on the meetings of the support offices in its area
    /// (aggregates, and the names of clients who consented to be named to councils).
    CouncilMeetingReport {
        council: OrganizationId,
    },
    /// 生活サポートシート as a whole (list, write a first version).
    SupportSheets,
    /// One client's 生活サポートシート: the client's office and how the caller's
    /// organisation stands to it.
    SupportSheet {
        access: SheetAccess,
    },
    /// Every version of one sheet, drafts included, and their comparison: the office
    /// that writes it and its partner, not the recipients of the published version.
    SheetVersions {
        access: SheetAccess,
    },
    /// The concerns reported against one sheet (list, report).
    SheetConcerns {
        access: SheetAccess,
    },
    /// A support office's own records of its set-up for the add-ons and of the months
    /// it closed.
    OfficeSetup {
        office: OrganizationId,
    },
}

/// One of the records a client's office keeps for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRecord {
    Consents,
    Provisions,
    Matching,
}

/// How an organisation stands to one client's 生活サポートシート.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetAccess {
    /// The client's support office: writes, publishes, reads every version.
    Office,
    /// A 居住支援法人 the client shares its data with (share_with_corp): contributes
    /// versions and reads them all; publishing stays the office's.
    CoWriter,
    /// An organisation the client consented to share sections of the published version
    /// with (a landlord or agent only while it is the landlord of the client's rental).
    Recipient,
    None,
}

/// Organisations that read the whole register of rentals: they look for homes for
/// their clients or oversee the scheme. Landlords and agents see only their own.
pub fn reads_all_rentals(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::SupportOffice
            | OrgKind::HousingSupportCorp
            | OrgKind::HousingSupportCouncil
            | OrgKind::Council
            | OrgKind::Operator
    )
}

/// Which organisations a list may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(OrganizationId),
}

pub fn authorize(caller: &Caller, action: Action, resource: Resource) -> Result<(), ApiError> {
    use Action::*;
    let own = |org: OrganizationId| caller.organization_id == org;
    let operator_admin = caller.is_operator() && caller.role == Role::Admin;
    let admin = caller.role == Role::Admin;
    let human = caller.user_id().is_some();
    let forbidden = |why: &str| Err(ApiError::Forbidden(why.to_owned()));

    match resource {
        Resource::Organizations => match action {
            List => Ok(()),
            Create if operator_admin && human => Ok(()),
            _ => forbidden("only an operator administrator creates organisations"),
        },
        Resource::Organization(org) => {
            if !own(org) && !caller.is_operator() {
                return Err(ApiError::NotFound);
            }
            match action {
                Read => Ok(()),
                Update if human && (operator_admin || (own(org) && admin)) => Ok(()),
                _ => forbidden(
                    "only an administrator of the organisation or the operator changes it",
                ),
            }
        }
        Resource::Users { organization_id } => {
            if !own(organization_id) && !caller.is_operator() {
                return Err(ApiError::NotFound);
            }
            match action {
                Read | List => Ok(()),
                Create | Update | Delete
                    if human && (operator_admin || (own(organization_id) && admin)) =>
                {
                    Ok(())
                }
                _ if !human => {
                    forbidden("API keys cannot manage users; sign in as an administrator")
                }
                _ => forbidden("only an administrator of the organisation manages its users"),
            }
        }
        Resource::Rentals => match action {
            List => Ok(()),
            Create
                if matches!(
                    caller.org_kind,
                    OrgKind::Landlord | OrgKind::RealEstateAgent
                ) && caller.role >= Role::Staff =>
            {
                Ok(())
            }
            Create => {
                forbidden("only landlords and real-estate agents (staff or admin) register rentals")
            }
            _ => forbidden("not allowed on the register"),
        },
        Resource::Rental { owner, agent } => {
            let manages = own(owner) || agent.is_some_and(own);
            if !manages && !reads_all_rentals(caller.org_kind) {
                return Err(ApiError::NotFound);
            }
            match action {
                Read | List => Ok(()),
                Update | Delete if manages && caller.role >= Role::Staff => Ok(()),
                _ if manages => forbidden("a viewer cannot change rentals"),
                _ => forbidden("only the rental's landlord or its agent changes it"),
            }
        }
        Resource::Clients => match (caller.org_kind, action) {
            (OrgKind::SupportOffice, List) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, _) => forbidden("a viewer cannot register clients"),
            (OrgKind::HousingSupportCorp, List) => Ok(()),
            _ => forbidden("only support offices keep clients"),
        },
        Resource::Client {
            office,
            shared_with_caller,
        } => {
            if own(office) {
                return match action {
                    Read | List => Ok(()),
                    Create | Update if caller.role >= Role::Staff => Ok(()),
                    Delete if caller.role == Role::Admin => Ok(()),
                    _ => forbidden("your role may not change this client"),
                };
            }
            // The operator sees no client data; councils only aggregates.
            if shared_with_caller && caller.org_kind == OrgKind::HousingSupportCorp {
                return match action {
                    Read | List => Ok(()),
                    _ => forbidden(
                        "the client's data is shared with you to read; its office changes it",
                    ),
                };
            }
            Err(ApiError::NotFound)
        }
        // Whoever may not see the client gets the client's answer (404, or 403 for a
        // role); a 居住支援法人 that sees it by consent still does not see these.
        Resource::ClientRecords {
            office,
            shared_with_caller,
            record,
        } => {
            authorize(
                caller,
                action,
                Resource::Client {
                    office,
                    shared_with_caller,
                },
            )?;
            if own(office) {
                return Ok(());
            }
            forbidden(match record {
                ClientRecord::Consents => "the consents are kept by the client's office",
                ClientRecord::Provisions => "the provision record is kept by the client's office",
                ClientRecord::Matching => "matching is done by the client's office",
            })
        }
        Resource::Inquiries => match (caller.org_kind, action) {
            (OrgKind::SupportOffice | OrgKind::Landlord | OrgKind::RealEstateAgent, List) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, Create) => forbidden("a viewer cannot propose rentals"),
            _ => forbidden(
                "inquiries are between a support office and the rental's landlord or agent",
            ),
        },
        Resource::Inquiry {
            office,
            landlord,
            agent,
        } => {
            let party = own(office) || own(landlord) || agent.is_some_and(own);
            if !party {
                return Err(ApiError::NotFound);
            }
            match action {
                Read | List => Ok(()),
                Create | Update if caller.role >= Role::Staff => Ok(()),
                _ if caller.role < Role::Staff => {
                    forbidden("a viewer cannot take steps of an inquiry")
                }
                _ => forbidden("an inquiry is never deleted; withdraw or decline it"),
            }
        }
        Resource::Meetings => match (caller.org_kind, action) {
            (
                OrgKind::SupportOffice
                | OrgKind::HousingSupportCorp
                | OrgKind::HousingSupportCouncil,
                List,
            ) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, _) => forbidden("a viewer cannot record meetings"),
            _ => forbidden("meetings are held by support offices with their partners"),
        },
        Resource::Meeting { office, partner } => {
            if own(office) {
                return match action {
                    Read | List => Ok(()),
                    Create | Update if caller.role >= Role::Staff => Ok(()),
                    Delete => forbidden("a meeting record is never deleted; amend it"),
                    _ => forbidden("a viewer cannot change meetings"),
                };
            }
            let partner_kind = matches!(
                caller.org_kind,
                OrgKind::HousingSupportCorp | OrgKind::HousingSupportCouncil
            );
            if partner && partner_kind {
                return match action {
                    Read | List => Ok(()),
                    _ => forbidden("the office that held the meeting keeps its record"),
                };
            }
            Err(ApiError::NotFound)
        }
        Resource::GuidanceSessions => match (caller.org_kind, action) {
            (OrgKind::SupportOffice | OrgKind::HousingSupportCorp, List) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, _) => forbidden("a viewer cannot record guidance sessions"),
            _ => forbidden("joint guidance is given by a support office with a 居住支援法人"),
        },
        Resource::GuidanceSession { office, corp } => {
            if own(office) {
                return match action {
                    Read | List => Ok(()),
                    Create | Update if caller.role >= Role::Staff => Ok(()),
                    _ => forbidden("your role may not change this session"),
                };
            }
            if own(corp) && caller.org_kind == OrgKind::HousingSupportCorp {
                return match action {
                    Read | List => Ok(()),
                    _ => forbidden("the office that gave the session keeps its record"),
                };
            }
            Err(ApiError::NotFound)
        }
        Resource::CouncilReports => match (caller.org_kind, action) {
            (OrgKind::SupportOffice | OrgKind::Council, List) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, _) => forbidden("a viewer cannot write reports"),
            _ => forbidden("written reports go from support offices to councils"),
        },
        Resource::CouncilReport {
            office,
            council,
            submitted,
        } => {
            if own(office) {
                return match action {
                    Read | List => Ok(()),
                    Create | Update if caller.role >= Role::Staff => Ok(()),
                    _ => forbidden("your role may not change this report"),
                };
            }
            // A draft is the office's own business until it is submitted.
            if own(council) && submitted && caller.org_kind == OrgKind::Council {
                return match action {
                    Read | List => Ok(()),
                    _ => forbidden("a submitted report is read-only"),
                };
            }
            Err(ApiError::NotFound)
        }
        // Only the council itself: the operator sees no client data, and the report may
        // name clients who consented to be named to their council.
        Resource::CouncilMeetingReport { council } => {
            if !own(council) || caller.org_kind != OrgKind::Council {
                return Err(ApiError::NotFound);
            }
            match action {
                Read | List => Ok(()),
                _ => forbidden("a council report is read-only"),
            }
        }
        Resource::SupportSheets => match (caller.org_kind, action) {
            (_, List) => Ok(()),
            (OrgKind::SupportOffice, Create) if caller.role >= Role::Staff => Ok(()),
            (OrgKind::SupportOffice, _) => forbidden("a viewer cannot write sheets"),
            _ => forbidden("the client's support office writes the sheet"),
        },
        Resource::SupportSheet { access } => {
            let staff = caller.role >= Role::Staff;
            match (access, action) {
                (SheetAccess::None, _) => Err(ApiError::NotFound),
                (_, Read | List) => Ok(()),
                (_, Delete) => forbidden("a sheet is never deleted: every version is kept"),
                (SheetAccess::Office, Create | Update) if staff => Ok(()),
                (SheetAccess::CoWriter, Update) if staff => Ok(()),
                (SheetAccess::CoWriter, Create) => {
                    forbidden("only the client's support office publishes the sheet")
                }
                (SheetAccess::Recipient, _) => {
                    forbidden("the sheet is shared with you to read; its office writes it")
                }
                _ => forbidden("a viewer cannot change the sheet"),
            }
        }
        Resource::SheetVersions { access } => match (access, action) {
            (SheetAccess::None, _) => Err(ApiError::NotFound),
            (SheetAccess::Office | SheetAccess::CoWriter, Read | List) => Ok(()),
            (SheetAccess::Recipient, Read | List) => forbidden(
                "versions are compared by the office that writes the sheet and its partner",
            ),
            _ => forbidden("versions are written through the sheet"),
        },
        Resource::SheetConcerns { access } => match (access, action) {
            (SheetAccess::None, _) => Err(ApiError::NotFound),
            (_, Read | List) => Ok(()),
            (SheetAccess::Recipient | SheetAccess::CoWriter, Create)
                if caller.role >= Role::Staff =>
            {
                Ok(())
            }
            (SheetAccess::Office, Update) if caller.role >= Role::Staff => Ok(()),
            (SheetAccess::Office, Create) => forbidden(
                "the office acts on the sheet itself; concerns come from landlords and partners",
            ),
            _ => forbidden("your role may not do this with concerns"),
        },
        Resource::OfficeSetup { office } => {
            if !own(office) || caller.org_kind != OrgKind::SupportOffice {
                return Err(ApiError::NotFound);
            }
            match action {
                Read | List => Ok(()),
                Create | Update if caller.role >= Role::Staff => Ok(()),
                _ => forbidden("a viewer cannot change the office's set-up"),
            }
        }
        Resource::ApiKeys { organization_id } => {
            if !own(organization_id) && !caller.is_operator() {
                return Err(ApiError::NotFound);
            }
            if !human {
                return forbidden("API keys cannot manage API keys; sign in as an administrator");
            }
            match action {
                Read | List if admin && (own(organization_id) || operator_admin) => Ok(()),
                Create if admin && own(organization_id) => Ok(()),
                // The operator may revoke a leaked key of any organisation.
                Delete if admin && (own(organization_id) || operator_admin) => Ok(()),
                _ => forbidden("only an administrator of the organisation manages its API keys"),
            }
        }
        // A subscription carries a signing secret and points at the organisation's own
        // systems: only its own administrators see it, not even the operator.
        Resource::Webhooks { organization_id } => {
            if !own(organization_id) {
                return Err(ApiError::NotFound);
            }
            if admin && human {
                Ok(())
            } else {
                forbidden("only an administrator of the organisation manages its webhooks")
            }
        }
    }
}

/// The organisations whose objects of one kind a caller's lists may include.
pub fn list_scope(caller: &Caller) -> Scope {
    if caller.is_operator() {
        Scope::All
    } else {
        Scope::Only(caller.organization_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::caller::Subject;
    use crate::domain::ids::{ApiKeyId, UserId};
    use crate::domain::organization::OrgKind;

    fn caller(kind: OrgKind, role: Role, org: OrganizationId) -> Caller {
        Caller {
            subject: Subject::User(UserId::new()),
            organization_id: org,
            org_kind: kind,
            role,
        }
    }

    #[test]
    fn nobody_outside_an_organisation_learns_that_its_objects_exist() {
        let mine = OrganizationId::new();
        let theirs = OrganizationId::new();
        for kind in OrgKind::ALL.into_iter().filter(|k| *k != OrgKind::Operator) {
            for role in Role::ALL {
                let c = caller(kind, role, mine);
                for action in [
                    Action::Read,
                    Action::Update,
                    Action::Delete,
                    Action::List,
                    Action::Create,
                ] {
                    for r in [
                        Resource::Organization(theirs),
                        Resource::Users {
                            organization_id: theirs,
                        },
                        Resource::ApiKeys {
                            organization_id: theirs,
                        },
                    ] {
                        assert!(
                            matches!(authorize(&c, action, r), Err(ApiError::NotFound)),
                            "{kind:?} {role:?} {action:?} {r:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_admins_manage_their_own_users_and_keys() {
        let org = OrganizationId::new();
        for role in Role::ALL {
            let c = caller(OrgKind::SupportOffice, role, org);
            let users = authorize(
                &c,
                Action::Create,
                Resource::Users {
                    organization_id: org,
                },
            );
            let keys = authorize(
                &c,
                Action::Create,
                Resource::ApiKeys {
                    organization_id: org,
                },
            );
            assert_eq!(users.is_ok(), role == Role::Admin);
            assert_eq!(keys.is_ok(), role == Role::Admin);
            assert!(
                authorize(
                    &c,
                    Action::List,
                    Resource::Users {
                        organization_id: org
                    }
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn an_api_key_cannot_manage_users_or_keys_even_as_admin() {
        let org = OrganizationId::new();
        let c = Caller {
            subject: Subject::ApiKey(ApiKeyId::new()),
            organization_id: org,
            org_kind: OrgKind::SupportOffice,
            role: Role::Admin,
        };
        assert!(matches!(
            authorize(
                &c,
                Action::Create,
                Resource::Users {
                    organization_id: org
                }
            ),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            authorize(
                &c,
                Action::Create,
                Resource::ApiKeys {
                    organization_id: org
                }
            ),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn a_rental_is_hidden_from_other_landlords_and_read_by_offices() {
        let owner = OrganizationId::new();
        let agent = OrganizationId::new();
        let r = Resource::Rental {
            owner,
            agent: Some(agent),
        };
        let other_landlord = caller(OrgKind::Landlord, Role::Admin, OrganizationId::new());
        assert!(matches!(
            authorize(&other_landlord, Action::Read, r),
            Err(ApiError::NotFound)
        ));
        let other_agent = caller(OrgKind::RealEstateAgent, Role::Admin, OrganizationId::new());
        assert!(matches!(
            authorize(&other_agent, Action::Read, r),
            Err(ApiError::NotFound)
        ));
        let office = caller(OrgKind::SupportOffice, Role::Viewer, OrganizationId::new());
        assert!(authorize(&office, Action::Read, r).is_ok());
        assert!(matches!(
            authorize(&office, Action::Update, r),
            Err(ApiError::Forbidden(_))
        ));
        assert!(
            authorize(
                &caller(OrgKind::RealEstateAgent, Role::Staff, agent),
                Action::Update,
                r
            )
            .is_ok()
        );
        assert!(
            authorize(
                &caller(OrgKind::Landlord, Role::Staff, owner),
                Action::Delete,
                r
            )
            .is_ok()
        );
        assert!(matches!(
            authorize(
                &caller(OrgKind::Landlord, Role::Viewer, owner),
                Action::Update,
                r
            ),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn only_landlord_and_agent_staff_register_rentals() {
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                let ok = authorize(
                    &caller(kind, role, OrganizationId::new()),
                    Action::Create,
                    Resource::Rentals,
                )
                .is_ok();
                let expected = matches!(kind, OrgKind::Landlord | OrgKind::RealEstateAgent)
                    && role >= Role::Staff;
                assert_eq!(ok, expected, "{kind:?} {role:?}");
            }
        }
    }

    #[test]
    fn a_client_is_seen_by_its_office_and_a_consented_corp_only() {
        let office = OrganizationId::new();
        let mine = Resource::Client {
            office,
            shared_with_caller: false,
        };
        for role in Role::ALL {
            assert!(
                authorize(
                    &caller(OrgKind::SupportOffice, role, office),
                    Action::Read,
                    mine
                )
                .is_ok()
            );
        }
        assert!(
            authorize(
                &caller(OrgKind::SupportOffice, Role::Viewer, office),
                Action::Update,
                mine
            )
            .is_err()
        );
        for kind in OrgKind::ALL {
            let c = caller(kind, Role::Admin, OrganizationId::new());
            assert!(
                matches!(authorize(&c, Action::Read, mine), Err(ApiError::NotFound)),
                "{kind:?}"
            );
        }
        let shared = Resource::Client {
            office,
            shared_with_caller: true,
        };
        let corp = caller(
            OrgKind::HousingSupportCorp,
            Role::Staff,
            OrganizationId::new(),
        );
        assert!(authorize(&corp, Action::Read, shared).is_ok());
        assert!(matches!(
            authorize(&corp, Action::Update, shared),
            Err(ApiError::Forbidden(_))
        ));
        let landlord = caller(OrgKind::Landlord, Role::Admin, OrganizationId::new());
        assert!(matches!(
            authorize(&landlord, Action::Read, shared),
            Err(ApiError::NotFound)
        ));
        let operator = caller(OrgKind::Operator, Role::Admin, OrganizationId::new());
        assert!(matches!(
            authorize(&operator, Action::Read, shared),
            Err(ApiError::NotFound)
        ));
    }

    #[test]
    fn a_consented_corp_sees_the_client_but_not_its_offices_own_records() {
        let office = OrganizationId::new();
        for record in [
            ClientRecord::Consents,
            ClientRecord::Provisions,
            ClientRecord::Matching,
        ] {
            let r = |shared_with_caller| Resource::ClientRecords {
                office,
                shared_with_caller,
                record,
            };
            let viewer = caller(OrgKind::SupportOffice, Role::Viewer, office);
            assert!(authorize(&viewer, Action::Read, r(false)).is_ok());
            let corp = caller(
                OrgKind::HousingSupportCorp,
                Role::Admin,
                OrganizationId::new(),
            );
            assert!(matches!(
                authorize(&corp, Action::Read, r(true)),
                Err(ApiError::Forbidden(_))
            ));
            assert!(matches!(
                authorize(&corp, Action::Read, r(false)),
                Err(ApiError::NotFound)
            ));
        }
    }

    #[test]
    fn only_the_office_and_its_partner_compare_a_sheets_versions() {
        let c = caller(OrgKind::Landlord, Role::Admin, OrganizationId::new());
        let r = |access| Resource::SheetVersions { access };
        assert!(authorize(&c, Action::Read, r(SheetAccess::Office)).is_ok());
        assert!(authorize(&c, Action::Read, r(SheetAccess::CoWriter)).is_ok());
        assert!(matches!(
            authorize(&c, Action::Read, r(SheetAccess::Recipient)),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            authorize(&c, Action::Read, r(SheetAccess::None)),
            Err(ApiError::NotFound)
        ));
    }

    #[test]
    fn an_inquiry_is_seen_by_its_three_parties_only_and_stepped_by_staff() {
        let (office, landlord, agent) = (
            OrganizationId::new(),
            OrganizationId::new(),
            OrganizationId::new(),
        );
        let r = Resource::Inquiry {
            office,
            landlord,
            agent: Some(agent),
        };
        for (kind, org) in [
            (OrgKind::SupportOffice, office),
            (OrgKind::Landlord, landlord),
            (OrgKind::RealEstateAgent, agent),
        ] {
            for role in Role::ALL {
                let c = caller(kind, role, org);
                assert!(authorize(&c, Action::Read, r).is_ok());
                assert_eq!(
                    authorize(&c, Action::Update, r).is_ok(),
                    role >= Role::Staff,
                    "{kind:?} {role:?}"
                );
                assert!(authorize(&c, Action::Delete, r).is_err());
            }
        }
        for kind in OrgKind::ALL {
            let c = caller(kind, Role::Admin, OrganizationId::new());
            assert!(matches!(
                authorize(&c, Action::Read, r),
                Err(ApiError::NotFound)
            ));
        }
        let council = caller(OrgKind::Council, Role::Admin, OrganizationId::new());
        assert!(authorize(&council, Action::List, Resource::Inquiries).is_err());
        let viewer = caller(OrgKind::SupportOffice, Role::Viewer, office);
        assert!(authorize(&viewer, Action::List, Resource::Inquiries).is_ok());
        assert!(authorize(&viewer, Action::Create, Resource::Inquiries).is_err());
        let landlord = caller(OrgKind::Landlord, Role::Admin, landlord);
        assert!(authorize(&landlord, Action::Create, Resource::Inquiries).is_err());
    }

    #[test]
    fn a_meeting_is_read_by_its_office_and_partners_and_written_by_office_staff() {
        let office = OrganizationId::new();
        let partner = OrganizationId::new();
        let mine = Resource::Meeting {
            office,
            partner: false,
        };
        for role in Role::ALL {
            let c = caller(OrgKind::SupportOffice, role, office);
            assert!(authorize(&c, Action::Read, mine).is_ok());
            assert_eq!(
                authorize(&c, Action::Update, mine).is_ok(),
                role >= Role::Staff
            );
            assert!(authorize(&c, Action::Delete, mine).is_err());
        }
        let attended = Resource::Meeting {
            office,
            partner: true,
        };
        for kind in [OrgKind::HousingSupportCorp, OrgKind::HousingSupportCouncil] {
            let c = caller(kind, Role::Admin, partner);
            assert!(authorize(&c, Action::Read, attended).is_ok());
            assert!(matches!(
                authorize(&c, Action::Update, attended),
                Err(ApiError::Forbidden(_))
            ));
            assert!(matches!(
                authorize(&c, Action::Read, mine),
                Err(ApiError::NotFound)
            ));
        }
        for kind in OrgKind::ALL {
            let c = caller(kind, Role::Admin, OrganizationId::new());
            assert!(matches!(
                authorize(&c, Action::Read, mine),
                Err(ApiError::NotFound)
            ));
        }
    }

    #[test]
    fn only_the_council_itself_reads_its_meeting_report() {
        let council = OrganizationId::new();
        let r = Resource::CouncilMeetingReport { council };
        for role in [Role::Admin, Role::Staff, Role::Viewer] {
            assert!(authorize(&caller(OrgKind::Council, role, council), Action::Read, r).is_ok());
        }
        for kind in OrgKind::ALL {
            let other = caller(kind, Role::Admin, OrganizationId::new());
            assert!(matches!(
                authorize(&other, Action::Read, r),
                Err(ApiError::NotFound)
            ));
        }
        // An office cannot read a "report" of its own id either.
        let office = caller(OrgKind::SupportOffice, Role::Admin, council);
        assert!(matches!(
            authorize(&office, Action::Read, r),
            Err(ApiError::NotFound)
        ));
    }

    #[test]
    fn a_council_reads_only_submitted_reports_addressed_to_it() {
        let (office, council) = (OrganizationId::new(), OrganizationId::new());
        let c = caller(OrgKind::Council, Role::Admin, council);
        for submitted in [false, true] {
            let r = Resource::CouncilReport {
                office,
                council,
                submitted,
            };
            assert_eq!(authorize(&c, Action::Read, r).is_ok(), submitted);
            assert!(authorize(&c, Action::Update, r).is_err());
            let other = caller(OrgKind::Council, Role::Admin, OrganizationId::new());
            assert!(matches!(
                authorize(&other, Action::Read, r),
                Err(ApiError::NotFound)
            ));
        }
    }

    #[test]
    fn only_the_office_itself_sees_its_set_up() {
        let office = OrganizationId::new();
        let r = Resource::OfficeSetup { office };
        assert!(
            authorize(
                &caller(OrgKind::SupportOffice, Role::Viewer, office),
                Action::Read,
                r
            )
            .is_ok()
        );
        assert!(
            authorize(
                &caller(OrgKind::SupportOffice, Role::Viewer, office),
                Action::Update,
                r
            )
            .is_err()
        );
        assert!(
            authorize(
                &caller(OrgKind::SupportOffice, Role::Staff, office),
                Action::Update,
                r
            )
            .is_ok()
        );
        for kind in OrgKind::ALL {
            let c = caller(kind, Role::Admin, OrganizationId::new());
            assert!(matches!(
                authorize(&c, Action::Read, r),
                Err(ApiError::NotFound)
            ));
        }
    }

    #[test]
    fn only_an_operator_admin_creates_organisations() {
        let op = OrganizationId::new();
        assert!(
            authorize(
                &caller(OrgKind::Operator, Role::Admin, op),
                Action::Create,
                Resource::Organizations
            )
            .is_ok()
        );
        assert!(
            authorize(
                &caller(OrgKind::Operator, Role::Staff, op),
                Action::Create,
                Resource::Organizations
            )
            .is_err()
        );
        assert!(
            authorize(
                &caller(OrgKind::Council, Role::Admin, op),
                Action::Create,
                Resource::Organizations
            )
            .is_err()
        );
    }

    #[test]
    fn only_an_organisations_own_admins_manage_its_webhooks() {
        let org = OrganizationId::new();
        let r = Resource::Webhooks {
            organization_id: org,
        };
        for kind in OrgKind::ALL {
            for role in Role::ALL {
                for action in [Action::Read, Action::List, Action::Create, Action::Delete] {
                    let mine = authorize(&caller(kind, role, org), action, r);
                    assert_eq!(mine.is_ok(), role == Role::Admin, "{kind:?} {role:?}");
                    let other = authorize(&caller(kind, role, OrganizationId::new()), action, r);
                    assert!(
                        matches!(other, Err(ApiError::NotFound)),
                        "{kind:?} {role:?} {action:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_operator_may_revoke_but_not_create_another_organisations_keys() {
        let other = OrganizationId::new();
        let c = caller(OrgKind::Operator, Role::Admin, OrganizationId::new());
        assert!(
            authorize(
                &c,
                Action::Delete,
                Resource::ApiKeys {
                    organization_id: other
                }
            )
            .is_ok()
        );
        assert!(
            authorize(
                &c,
                Action::Create,
                Resource::ApiKeys {
                    organization_id: other
                }
            )
            .is_err()
        );
    }
}
