//! The housing add-ons (加算) of 論点６ — 居住支援連携体制加算 and
//! 地域居住支援体制強化推進加算 — decided from fee rules kept as data.
//!
//! Each revision of the rules is a TOML file in `rules/add-ons/` (see its README), compiled
//! into the binary. [`RuleBook`] holds them all; the enacted revision in force in a month
//! is the one with the latest `effective_from` on or before the month's first day, in
//! Tokyo. Proposals are evaluated only when asked for by id.
//!
//! The caller (the store, a route) reads the facts — [`OfficeFacts`], [`OfficeRecords`],
//! [`ClientFacts`] — and calls [`assess_in_force`] or [`assess`] for a claim, or
//! [`meeting_compliance`] for the month's meeting requirement. No I/O happens here.

mod compliance;
mod conditions;
mod embedded;
mod engine;
mod facts;
mod guidance;
mod load;
mod meetings;
mod outcome;
mod rules;

pub use compliance::{ComplianceStatus, MonthCompliance, meeting_compliance};
pub use engine::{assess, assess_add_on, assess_in_force, office_barred};
pub use facts::{
    ClientFacts, ClientService, CouncilReport, GuidanceSession, Meeting, OfficeFacts,
    OfficeRecords, Partner, PartnerAgreement, SharedClient,
};
pub use load::{RuleBook, RulesError, parse_revision};
pub use outcome::{
    AddOnAssessment, ClientMonth, Evidence, NoRulesInForce, Outcome, Reason, ReasonCode, RecordRef,
};
pub use rules::{
    AddOn, AddOnCode, Citation, Condition, ConditionKind, GuidanceRule, MeetingRule, ReportMethod,
    ReportRule, Revision, RevisionId, RevisionKind, UnitBasis,
};

#[cfg(test)]
mod tests;
