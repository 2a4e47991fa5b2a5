//! The rental form: every field of the register as form fields, turned into the API's
//! [`RentalInput`] (so the checks are the domain's), and the values and Japanese field
//! errors the page shows again after a failed save.

use std::collections::BTreeMap;

use super::form::Form;
use super::messages;
use crate::domain::rental::{
    Accessibility, Category, Condition, RentalInput, SupportConnection, SupportHousingInput,
};
use crate::error::FieldError;

/// Text fields of the form, named as in [`RentalInput`].
const TEXT_FIELDS: &[&str] = &[
    "registration_number",
    "registration_date",
    "postal_code",
    "prefecture_code",
    "municipality_code",
    "municipality_name",
    "address_line",
    "latitude",
    "longitude",
    "building_name",
    "unit_number",
    "structure",
    "year_built",
    "floors_total",
    "unit_floor",
    "floor_area_m2",
    "layout",
    "rent",
    "common_fee",
    "deposit",
    "key_money",
    "guarantee_companies",
    "rent_reduction_yen",
    "vacancy",
    "vacant_from",
    "photos",
    "notes",
    "owner_org_id",
    "agent_org_id",
    "support_corp",
    "support_connections",
];

const CHECKBOXES: &[&str] = &[
    "quake_resistant",
    "elevator",
    "guarantor_accepted",
    "guarantee_company_accepted",
    "rent_reduction",
    "pets_allowed",
    "support_housing",
    "support_daily",
    "support_monthly",
];

const GROUPS: &[&str] = &["accessibility", "accepted_categories", "conditions"];

/// The layouts offered (the domain accepts these and a few rarer ones).
pub const LAYOUTS: &[&str] = &[
    "1R", "1K", "1DK", "1LDK", "2K", "2DK", "2LDK", "3K", "3DK", "3LDK", "4DK", "4LDK",
];

pub const STRUCTURES: &[(&str, &str)] = &[
    ("wood", "木造"),
    ("light_steel", "軽量鉄骨造"),
    ("steel", "鉄骨造"),
    ("rc", "鉄筋コンクリート造（RC）"),
    ("src", "鉄骨鉄筋コンクリート造（SRC）"),
    ("other", "その他"),
];

/// A choice of a checkbox group: value and label.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

pub fn accessibility_choices() -> Vec<Choice> {
    Accessibility::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str(),
            label: a.label_ja(),
        })
        .collect()
}

pub fn category_choices() -> Vec<Choice> {
    let mut v = vec![Choice {
        value: "all",
        label: "すべての方",
    }];
    v.extend(Category::ALL.iter().map(|c| Choice {
        value: c.as_str(),
        label: c.label_ja(),
    }));
    v
}

pub fn condition_choices() -> Vec<Choice> {
    Condition::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            label: c.label_ja(),
        })
        .collect()
}

/// The form as the page shows it: the values typed and the errors of each field.
#[derive(Debug, Clone, Default)]
pub struct RentalForm {
    values: BTreeMap<&'static str, String>,
    ticked: BTreeMap<&'static str, bool>,
    groups: BTreeMap<&'static str, Vec<String>>,
    errors: BTreeMap<String, Vec<String>>,
}

/// Where a field error is shown: its top-level field (`photos[2]` → `photos`), and the
/// support-housing fields under their own inputs.
fn anchor(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("support_housing.") {
        return match rest.split(['[', '.']).next().unwrap_or(rest) {
            "corp_org_id" => "support_corp",
            "daily_safety_check" => "support_daily",
            "monthly_visit" => "support_monthly",
            _ => "support_connections",
        }
        .to_owned();
    }
    field.split(['[', '.']).next().unwrap_or(field).to_owned()
}

/// The line of the connections text a field error is about (`connections[1]` → 2).
fn connection_line(field: &str) -> Option<usize> {
    let i = field.split("connections[").nth(1)?;
    i.split(']').next()?.parse::<usize>().ok().map(|n| n + 1)
}

/// Full-width digits and signs as ASCII, without thousands separators or units.
fn number_text(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '．' => Some('.'),
            'ー' | '－' | '−' => Some('-'),
            ',' | '，' | '、' | ' ' | '　' => None,
            '円' | '㎡' | '階' | '年' => None,
            c => Some(c),
        })
        .collect()
}

impl RentalForm {
    /// An empty form for a new rental, with the usual defaults.
    pub fn blank() -> Self {
        let mut f = Self::default();
        f.values.insert("vacancy", "vacant".into());
        f.values.insert("structure", "wood".into());
        f.values.insert("common_fee", "0".into());
        f.values.insert("deposit", "0".into());
        f.values.insert("key_money", "0".into());
        f.ticked.insert("quake_resistant", true);
        f.ticked.insert("guarantee_company_accepted", true);
        f
    }

    /// The values of a posted form.
    pub fn from_form(form: &Form) -> Self {
        let mut f = Self::default();
        for name in TEXT_FIELDS {
            f.values.insert(name, form.text(name));
        }
        for name in CHECKBOXES {
            f.ticked.insert(name, form.ticked(name));
        }
        for name in GROUPS {
            f.groups.insert(name, form.all(name));
        }
        f
    }

    /// The form filled with a stored rental.
    pub fn from_input(i: &RentalInput) -> Self {
        let mut f = Self::default();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let set = [
            ("registration_number", i.registration_number.clone()),
            ("registration_date", i.registration_date.clone()),
            ("postal_code", opt(&i.postal_code)),
            ("prefecture_code", i.prefecture_code.clone()),
            ("municipality_code", i.municipality_code.clone()),
            ("municipality_name", i.municipality_name.clone()),
            ("address_line", i.address_line.clone()),
            ("latitude", num(i.latitude)),
            ("longitude", num(i.longitude)),
            ("building_name", opt(&i.building_name)),
            ("unit_number", opt(&i.unit_number)),
            ("structure", i.structure.clone()),
            ("year_built", i.year_built.to_string()),
            ("floors_total", i.floors_total.to_string()),
            ("unit_floor", i.unit_floor.to_string()),
            ("floor_area_m2", i.floor_area_m2.to_string()),
            ("layout", i.layout.clone()),
            ("rent", i.rent.to_string()),
            ("common_fee", i.common_fee.to_string()),
            ("deposit", i.deposit.to_string()),
            ("key_money", i.key_money.to_string()),
            ("guarantee_companies", i.guarantee_companies.join("、")),
            (
                "rent_reduction_yen",
                i.rent_reduction_yen
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ),
            ("vacancy", i.vacancy.clone()),
            ("vacant_from", opt(&i.vacant_from)),
            ("photos", i.photos.join("\n")),
            ("notes", opt(&i.notes)),
            ("owner_org_id", opt(&i.owner_org_id)),
            ("agent_org_id", opt(&i.agent_org_id)),
        ];
        for (k, v) in set {
            f.values.insert(k, v);
        }
        for (k, v) in [
            ("quake_resistant", i.quake_resistant),
            ("elevator", i.elevator),
            ("guarantor_accepted", i.guarantor_accepted),
            ("guarantee_company_accepted", i.guarantee_company_accepted),
            ("rent_reduction", i.rent_reduction),
            ("pets_allowed", i.pets_allowed),
        ] {
            f.ticked.insert(k, v);
        }
        let all = Category::ALL.iter().all(|c| {
            i.accepted_categories
                .iter()
                .any(|a| a == c.as_str() || a == "all")
        });
        f.groups.insert(
            "accepted_categories",
            if all {
                vec!["all".to_owned()]
            } else {
                i.accepted_categories.clone()
            },
        );
        f.groups.insert("accessibility", i.accessibility.clone());
        f.groups.insert("conditions", i.conditions.clone());
        if let Some(s) = &i.support_housing {
            f.ticked.insert("support_housing", true);
            f.ticked.insert("support_daily", s.daily_safety_check);
            f.ticked.insert("support_monthly", s.monthly_visit);
            f.values.insert("support_corp", s.corp_org_id.clone());
            f.values.insert(
                "support_connections",
                s.connections
                    .iter()
                    .map(|c| {
                        format!(
                            "{}, {}, {}",
                            c.service,
                            c.name,
                            c.phone.clone().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        f
    }

    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    pub fn is(&self, name: &str) -> bool {
        self.ticked.get(name).copied().unwrap_or(false)
    }

    pub fn has(&self, group: &str, value: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    /// The value of a select is `value`.
    pub fn sel(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }

    pub fn err(&self, name: &str) -> Vec<String> {
        self.errors.get(name).cloned().unwrap_or_default()
    }

    pub fn bad(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Every error, for the summary at the top of the form: (anchor, label, message).
    pub fn summary(&self) -> Vec<(String, String, String)> {
        self.errors
            .iter()
            .flat_map(|(k, msgs)| {
                msgs.iter()
                    .map(move |m| (k.clone(), messages::label(k).to_owned(), m.clone()))
            })
            .collect()
    }

    fn push(&mut self, anchor: String, message: String) {
        let list = self.errors.entry(anchor).or_default();
        if !list.contains(&message) {
            list.push(message);
        }
    }

    /// Adds the domain's (or the store's) field errors, in Japanese; a field whose
    /// number could not be read keeps only that error.
    pub fn add_errors(&mut self, errors: &[FieldError]) {
        for e in errors {
            let a = anchor(&e.field);
            if self.unreadable(&a) {
                continue;
            }
            let mut msg = messages::for_field(&e.field, &e.message);
            if let Some(line) = connection_line(&e.field) {
                msg = format!("{line}行目: {msg}");
            }
            self.push(a, msg);
        }
    }

    fn unreadable(&self, anchor: &str) -> bool {
        self.errors
            .get(anchor)
            .is_some_and(|m| m.iter().any(|x| x.starts_with("半角数字")))
    }

    fn int<T: std::str::FromStr + Default>(&mut self, name: &'static str) -> T {
        let t = number_text(self.v(name));
        if t.is_empty() {
            // Required numbers left empty are the domain's "between" error; 0 fails it.
            return T::default();
        }
        match t.parse::<T>() {
            Ok(v) => v,
            Err(_) => {
                self.push(
                    name.to_owned(),
                    "半角数字（整数）で入力してください。".into(),
                );
                T::default()
            }
        }
    }

    fn opt_int(&mut self, name: &'static str) -> Option<i64> {
        if self.v(name).is_empty() {
            return None;
        }
        Some(self.int(name))
    }

    fn float(&mut self, name: &'static str) -> Option<f64> {
        let t = number_text(self.v(name));
        if t.is_empty() {
            return None;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.push(name.to_owned(), "半角数字で入力してください。".into());
                None
            }
        }
    }

    fn connections(&mut self) -> Vec<SupportConnection> {
        let text = self.v("support_connections").to_owned();
        let mut out = Vec::new();
        for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let parts: Vec<&str> = line.split([',', '，', '、', '\t']).map(str::trim).collect();
            if parts.len() < 2 {
                self.push(
                    "support_connections".into(),
                    format!(
                        "{}行目: 「サービス, 名称, 電話番号」の形で書いてください。",
                        i + 1
                    ),
                );
                continue;
            }
            out.push(SupportConnection {
                service: parts[0].to_owned(),
                name: parts[1].to_owned(),
                phone: parts
                    .get(2)
                    .filter(|p| !p.is_empty())
                    .map(|p| (*p).to_owned()),
            });
        }
        out
    }

    /// The API input this form stands for; errors of numbers that could not be read are
    /// recorded on the form (the caller adds the domain's errors after).
    pub fn read_input(&mut self) -> RentalInput {
        let list = |s: &str| -> Vec<String> {
            s.split(['、', ',', '，', '\n'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let opt = |s: &str| Some(s.to_owned()).filter(|x| !x.is_empty());
        let latitude = self.float("latitude");
        let longitude = self.float("longitude");
        let floor_area_m2 = self.float("floor_area_m2").unwrap_or(0.0);
        let support_housing = self.is("support_housing").then(|| SupportHousingInput {
            corp_org_id: self.v("support_corp").to_owned(),
            daily_safety_check: self.is("support_daily"),
            monthly_visit: self.is("support_monthly"),
            connections: Vec::new(),
        });
        let support_housing = support_housing.map(|mut s| {
            s.connections = self.connections();
            s
        });
        RentalInput {
            owner_org_id: opt(self.v("owner_org_id")),
            agent_org_id: opt(self.v("agent_org_id")),
            registration_number: self.v("registration_number").to_owned(),
            registration_date: self.v("registration_date").to_owned(),
            postal_code: opt(self.v("postal_code")),
            prefecture_code: self.v("prefecture_code").to_owned(),
            municipality_code: self.v("municipality_code").to_owned(),
            municipality_name: self.v("municipality_name").to_owned(),
            address_line: self.v("address_line").to_owned(),
            latitude,
            longitude,
            building_name: opt(self.v("building_name")),
            unit_number: opt(self.v("unit_number")),
            structure: self.v("structure").to_owned(),
            year_built: self.int("year_built"),
            quake_resistant: self.is("quake_resistant"),
            floors_total: self.int("floors_total"),
            unit_floor: self.int("unit_floor"),
            elevator: self.is("elevator"),
            accessibility: self
                .groups
                .get("accessibility")
                .cloned()
                .unwrap_or_default(),
            floor_area_m2,
            layout: self.v("layout").to_owned(),
            rent: self.int("rent"),
            common_fee: self.int("common_fee"),
            deposit: self.int("deposit"),
            key_money: self.int("key_money"),
            guarantor_accepted: self.is("guarantor_accepted"),
            guarantee_company_accepted: self.is("guarantee_company_accepted"),
            guarantee_companies: list(self.v("guarantee_companies")),
            rent_reduction: self.is("rent_reduction"),
            rent_reduction_yen: self.opt_int("rent_reduction_yen"),
            accepted_categories: self
                .groups
                .get("accepted_categories")
                .cloned()
                .unwrap_or_default(),
            conditions: self.groups.get("conditions").cloned().unwrap_or_default(),
            pets_allowed: self.is("pets_allowed"),
            support_housing,
            vacancy: self.v("vacancy").to_owned(),
            vacant_from: opt(self.v("vacant_from")),
            photos: self
                .v("photos")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            notes: opt(self.v("notes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> RentalForm {
        RentalForm::from_form(&Form::parse(body.as_bytes()))
    }

    #[test]
    fn full_width_numbers_and_separators_are_read() {
        let mut f =
            form("rent=%EF%BC%94%EF%BC%95%2C000%E5%86%86&floor_area_m2=25.5&year_built=1998");
        let input = f.read_input();
        assert_eq!(input.rent, 45_000);
        assert_eq!(input.floor_area_m2, 25.5);
        assert_eq!(input.year_built, 1998);
        assert!(!f.has_errors());
    }

    #[test]
    fn an_unreadable_number_is_its_fields_only_error() {
        let mut f = form("rent=abc");
        let _ = f.read_input();
        f.add_errors(&[FieldError::new(
            "rent",
            "must be between 1000 and 1000000 yen",
        )]);
        assert_eq!(f.err("rent"), vec!["半角数字（整数）で入力してください。"]);
    }

    #[test]
    fn support_housing_errors_land_under_their_inputs_with_the_line() {
        let mut f = form(
            "support_housing=on&support_connections=%E8%A8%AA%E5%95%8F%E7%9C%8B%E8%AD%B7%2C+%E3%81%B2%E3%81%8B%E3%82%8A%2C+123",
        );
        let input = f.read_input();
        let s = input.support_housing.unwrap();
        assert_eq!(s.connections.len(), 1);
        assert_eq!(s.connections[0].service, "訪問看護");
        f.add_errors(&[FieldError::new(
            "support_housing.connections[0].phone",
            "must be a Japanese phone number such as 03-1234-5678 or 090-1234-5678",
        )]);
        assert!(f.err("support_connections")[0].starts_with("1行目: 電話番号"));
    }

    #[test]
    fn a_stored_rental_fills_the_form_and_comes_back_the_same() {
        let input = RentalInput {
            registration_number: "01-000123".into(),
            accepted_categories: vec!["disability_mental".into()],
            accessibility: vec!["handrails".into()],
            guarantee_companies: vec!["A社".into(), "B社".into()],
            photos: vec!["https://example.jp/a.jpg".into()],
            rent: 45_000,
            floor_area_m2: 22.5,
            support_housing: Some(SupportHousingInput {
                corp_org_id: "c".into(),
                daily_safety_check: true,
                monthly_visit: true,
                connections: vec![SupportConnection {
                    service: "訪問看護".into(),
                    name: "ひかり".into(),
                    phone: Some("011-111-2222".into()),
                }],
            }),
            ..RentalInput::default()
        };
        let mut f = RentalForm::from_input(&input);
        let back = f.read_input();
        assert_eq!(back.registration_number, input.registration_number);
        assert_eq!(back.accepted_categories, input.accepted_categories);
        assert_eq!(back.accessibility, input.accessibility);
        assert_eq!(back.guarantee_companies, input.guarantee_companies);
        assert_eq!(back.photos, input.photos);
        assert_eq!(back.rent, input.rent);
        assert_eq!(back.support_housing, input.support_housing);
    }
}
