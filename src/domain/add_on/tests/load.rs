use super::*;

const COLLAB_ADD_ON: &str = r#"
[[add_ons]]
code = "housing_support_collaboration"
name_ja = "居住支援連携体制加算"
units = 35
basis = "per_user_per_month"
services = ["community_transition"]

[[add_ons.conditions]]
kind = "partner_agreement"
partner_kinds = ["housing_support_corp"]
"#;

fn with_condition(extra: &str) -> String {
    format!(
        "{}{COLLAB_ADD_ON}\n[[add_ons.conditions]]\n{extra}\n",
        header("t", "enacted", "2021-04-01")
    )
}

fn error_of(text: &str) -> RulesError {
    revision_from(text).unwrap_err()
}

#[test]
fn every_file_in_rules_add_ons_parses_and_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/add-ons");
    let on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let book = book();
    assert_eq!(
        book.revisions().len(),
        on_disk.len(),
        "build.rs must embed every file"
    );
    for name in &on_disk {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        parse_revision(name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(book.revisions().iter().any(|r| r.file() == name));
    }
}

#[test]
fn the_fy2021_file_holds_the_amounts_of_domain_md() {
    let r = fy2021();
    assert_eq!(r.kind(), RevisionKind::Enacted);
    assert_eq!(r.effective_from(), d("2021-04-01"));
    assert_eq!(r.record_retention_years(), 5);
    assert_eq!(r.keep_records_until(d("2021-05-31")), d("2026-05-31"));
    assert!(!r.citations().is_empty());
    let collab = r.add_on(COLLAB).unwrap();
    assert_eq!(collab.name_ja(), "居住支援連携体制加算");
    assert_eq!(
        (collab.units(), collab.basis()),
        (Some(35), UnitBasis::PerUserPerMonth)
    );
    let promo = r.add_on(PROMOTION).unwrap();
    assert_eq!(promo.name_ja(), "地域居住支援体制強化推進加算");
    assert_eq!(
        (promo.units(), promo.basis()),
        (
            Some(500),
            UnitBasis::PerTime {
                max_per_month: Some(1)
            }
        )
    );
    for a in r.add_ons() {
        assert_eq!(
            a.services(),
            [
                ServiceType::CommunityTransition,
                ServiceType::CommunitySettlement,
                ServiceType::IndependentLivingAssistance
            ]
        );
    }
}

#[test]
fn the_proposal_is_never_in_force_but_can_be_selected() {
    let book = book();
    assert_eq!(
        book.in_force(month("2021-04")).unwrap().id().as_str(),
        "fy2021"
    );
    let proposals: Vec<_> = book.proposals().map(|r| r.id().as_str()).collect();
    assert_eq!(proposals, ["ronten6_proposal"]);
    assert!(
        book.revision("ronten6_proposal")
            .unwrap()
            .add_ons()
            .iter()
            .all(|a| a.units().is_none())
    );
}

#[test]
fn an_unknown_condition_kind_is_rejected_naming_the_file_and_the_key() {
    let e = error_of(&with_condition("kind = \"tea_ceremony\""));
    assert_eq!(e.file, "2021-04-01_t.toml");
    assert_eq!(
        e.at,
        "add_ons[0] (housing_support_collaboration).conditions[1].kind"
    );
    assert!(
        e.message.contains("unknown condition kind `tea_ceremony`"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("rules/add-ons/2021-04-01_t.toml: "),
        "{e}"
    );
}

#[test]
fn an_unknown_parameter_is_rejected_naming_the_key() {
    let e = error_of(&with_condition(
        "kind = \"meetings_per_month\"\nminimum = 1\nmin = 1\npartner_must_attend = true\n\
         minutes_required = true\nclients_shared_with_consent = true\nissues_recorded = true",
    ));
    assert_eq!(
        e.at,
        "add_ons[0] (housing_support_collaboration).conditions[1].minimum"
    );
    assert!(e.message.contains("known keys: min,"), "{e}");
    let e = error_of(&with_condition("kind = \"published\"\nwhen = 2021-04-01"));
    assert!(e.at.ends_with("conditions[1].when"), "{e}");
}

#[test]
fn a_missing_parameter_or_a_wrong_type_is_rejected() {
    let e = error_of(&with_condition("kind = \"meetings_per_month\"\nmin = 1"));
    assert!(e.message.contains("partner_must_attend"), "{e}");
    let e = error_of(&with_condition(
        "kind = \"notified_prefecture\"\ncutoff_day = 40",
    ));
    assert!(e.at.ends_with("cutoff_day"), "{e}");
    let e = error_of(&with_condition(
        "kind = \"partner_agreement\"\npartner_kinds = [\"landlord\"]",
    ));
    assert!(e.message.contains("`landlord`"), "{e}");
}

#[test]
fn a_missing_or_incomplete_citation_is_rejected() {
    let no_citation = format!(
        "id = \"t\"\nkind = \"enacted\"\ntitle = \"t\"\neffective_from = 2021-04-01\nrecord_retention_years = 5\n{COLLAB_ADD_ON}"
    );
    let e = error_of(&no_citation);
    assert_eq!(e.at, "citations");
    assert!(e.message.contains("at least one source"), "{e}");
    let nowhere =
        header("t", "enacted", "2021-04-01").replace("document = \"doc\"\n", "") + COLLAB_ADD_ON;
    let e = error_of(&nowhere);
    assert_eq!(e.at, "citations[0].url");
}

#[test]
fn the_file_name_must_match_the_date_and_id() {
    let text = header("fy2021", "enacted", "2021-04-01") + COLLAB_ADD_ON;
    let e = parse_revision("fy2021.toml", &text).unwrap_err();
    assert!(e.message.contains("2021-04-01_fy2021.toml"), "{e}");
}

#[test]
fn structural_mistakes_in_an_add_on_are_rejected() {
    let h = header("t", "enacted", "2021-04-01");
    let no_units = COLLAB_ADD_ON.replace("units = 35\n", "");
    assert!(error_of(&(h.clone() + &no_units)).at.ends_with(".units"));
    let cap = COLLAB_ADD_ON.replace("units = 35\n", "units = 35\nmax_per_month = 1\n");
    assert!(error_of(&(h.clone() + &cap)).at.ends_with(".max_per_month"));
    let plan = COLLAB_ADD_ON.replace("\"community_transition\"", "\"group_home\"");
    assert!(error_of(&(h.clone() + &plan)).at.ends_with(".services[0]"));
    let typo = h.clone() + COLLAB_ADD_ON + "unit = 3\n";
    assert!(error_of(&typo).at.ends_with("conditions[0].unit"));

    let meeting_without_partner = format!(
        "{h}[[add_ons]]\ncode = \"a\"\nname_ja = \"a\"\nunits = 1\nbasis = \"per_user_per_month\"\n\
         services = [\"community_transition\"]\n[[add_ons.conditions]]\nkind = \"meetings_per_month\"\nmin = 1\n\
         partner_must_attend = true\nminutes_required = true\nclients_shared_with_consent = true\nissues_recorded = true\n"
    );
    assert!(
        error_of(&meeting_without_partner)
            .message
            .contains("partner_agreement")
    );
    let per_time_alone = format!(
        "{h}[[add_ons]]\ncode = \"a\"\nname_ja = \"a\"\nunits = 1\nbasis = \"per_time\"\nservices = [\"community_transition\"]\n"
    );
    assert!(error_of(&per_time_alone).message.contains("joint_guidance"));
    let report_alone = format!(
        "{h}[[add_ons]]\ncode = \"a\"\nname_ja = \"a\"\nunits = 1\nbasis = \"per_user_per_month\"\n\
         services = [\"community_transition\"]\n[[add_ons.conditions]]\nkind = \"report_to_council\"\n\
         methods = [\"written\"]\nissues_required = true\ngrace_days_after_month = 0\n"
    );
    assert!(error_of(&report_alone).message.contains("joint_guidance"));
    let twice = with_condition(
        "kind = \"partner_agreement\"\npartner_kinds = [\"housing_support_council\"]",
    );
    assert!(error_of(&twice).message.contains("appears twice"));
    let landlord = h + &COLLAB_ADD_ON.replace("housing_support_corp", "landlord");
    assert!(error_of(&landlord).message.contains("`landlord`"));
}

#[test]
fn a_book_rejects_duplicate_ids_and_two_enacted_revisions_on_one_day() {
    let a = header("a", "enacted", "2021-04-01") + COLLAB_ADD_ON;
    let b = header("b", "enacted", "2021-04-01") + COLLAB_ADD_ON;
    let e = RuleBook::from_files([
        ("2021-04-01_a.toml", a.as_str()),
        ("2021-04-01_b.toml", b.as_str()),
    ])
    .unwrap_err();
    assert_eq!(e.at, "effective_from");
    let a2 = header("a", "proposal", "2022-04-01") + COLLAB_ADD_ON;
    let e = RuleBook::from_files([
        ("2021-04-01_a.toml", a.as_str()),
        ("2022-04-01_a.toml", a2.as_str()),
    ])
    .unwrap_err();
    assert_eq!(e.at, "id");
}

#[test]
fn a_syntax_error_names_the_file() {
    let e = parse_revision("2021-04-01_x.toml", "id = \"x\"\nkind = ").unwrap_err();
    assert_eq!(e.file, "2021-04-01_x.toml");
    assert_eq!(e.at, "(syntax)");
}
