//! Reading one cell into its field of [`RentalInput`]: numbers as spreadsheets write
//! them, yes/no in English or Japanese, `|`-separated lists, and the Japanese names of
//! structures, vacancy and flags.

use super::Field;
use crate::domain::rental::{Accessibility, Category, Condition, RentalInput};

/// Full-width digits and signs as ASCII, thousands separators dropped.
fn number_text(cell: &str) -> String {
    cell.chars()
        .filter(|c| !matches!(c, ',' | '，' | '_' | ' '))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '．' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            c => c,
        })
        .collect()
}

fn integer(cell: &str) -> Result<i64, String> {
    number_text(cell)
        .parse()
        .map_err(|_| format!("{cell:?} is not a whole number"))
}

fn decimal(cell: &str) -> Result<f64, String> {
    match number_text(cell).parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{cell:?} is not a number")),
    }
}

fn int32(cell: &str) -> Result<i32, String> {
    i32::try_from(integer(cell)?).map_err(|_| format!("{cell} is too large"))
}

/// true/false, 1/0, yes/no, はい/いいえ, 可/不可, あり/なし.
pub fn boolean(cell: &str) -> Result<bool, String> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "はい" | "可" | "あり" | "有" | "○" => Ok(true),
        "false" | "0" | "no" | "いいえ" | "不可" | "なし" | "無" | "×" => Ok(false),
        _ => Err(format!(
            "{cell:?} is not a yes/no value: use true/false, 1/0, はい/いいえ or 可/不可"
        )),
    }
}

fn list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['|', '｜'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A list of flag names, where the Japanese label of a flag stands for its name.
fn flags(cell: &str, ja: impl Fn(&str) -> Option<&'static str>) -> Vec<String> {
    list(cell)
        .map(|s| ja(s).map_or_else(|| s.to_owned(), str::to_owned))
        .collect()
}

const STRUCTURES_JA: &[(&str, &str)] = &[
    ("木造", "wood"),
    ("軽量鉄骨造", "light_steel"),
    ("鉄骨造", "steel"),
    ("鉄筋コンクリート造", "rc"),
    ("RC造", "rc"),
    ("鉄骨鉄筋コンクリート造", "src"),
    ("SRC造", "src"),
    ("その他", "other"),
];

fn structure(cell: &str) -> String {
    STRUCTURES_JA
        .iter()
        .find(|(ja, _)| *ja == cell)
        .map_or_else(|| cell.to_ascii_lowercase(), |(_, en)| (*en).to_owned())
}

fn vacancy(cell: &str) -> String {
    match cell {
        "空室" | "空き" => "vacant".to_owned(),
        "入居中" => "occupied".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}

fn category_ja(s: &str) -> Option<&'static str> {
    if matches!(s, "すべて" | "全て") {
        return Some("all");
    }
    Category::ALL
        .iter()
        .find(|c| c.label_ja() == s)
        .map(|c| c.as_str())
}

fn accessibility_ja(s: &str) -> Option<&'static str> {
    Accessibility::ALL
        .iter()
        .find(|c| c.label_ja() == s)
        .map(|c| c.as_str())
}

fn condition_ja(s: &str) -> Option<&'static str> {
    Condition::ALL
        .iter()
        .find(|c| c.label_ja() == s)
        .map(|c| c.as_str())
}

/// Puts one non-empty, trimmed cell into its field.
pub(super) fn set(input: &mut RentalInput, field: Field, cell: &str) -> Result<(), String> {
    let text = || cell.to_owned();
    match field {
        Field::OwnerOrgId => input.owner_org_id = Some(text()),
        Field::AgentOrgId => input.agent_org_id = Some(text()),
        Field::RegistrationNumber => input.registration_number = text(),
        Field::RegistrationDate => input.registration_date = text(),
        Field::PostalCode => input.postal_code = Some(text()),
        Field::PrefectureCode => input.prefecture_code = text(),
        Field::MunicipalityCode => input.municipality_code = text(),
        Field::MunicipalityName => input.municipality_name = text(),
        Field::AddressLine => input.address_line = text(),
        Field::Latitude => input.latitude = Some(decimal(cell)?),
        Field::Longitude => input.longitude = Some(decimal(cell)?),
        Field::BuildingName => input.building_name = Some(text()),
        Field::UnitNumber => input.unit_number = Some(text()),
        Field::Structure => input.structure = structure(cell),
        Field::YearBuilt => input.year_built = int32(cell)?,
        Field::QuakeResistant => input.quake_resistant = boolean(cell)?,
        Field::FloorsTotal => input.floors_total = int32(cell)?,
        Field::UnitFloor => input.unit_floor = int32(cell)?,
        Field::Elevator => input.elevator = boolean(cell)?,
        Field::Accessibility => input.accessibility = flags(cell, accessibility_ja),
        Field::FloorArea => input.floor_area_m2 = decimal(cell)?,
        Field::Layout => input.layout = text(),
        Field::Rent => input.rent = integer(cell)?,
        Field::CommonFee => input.common_fee = integer(cell)?,
        Field::Deposit => input.deposit = integer(cell)?,
        Field::KeyMoney => input.key_money = integer(cell)?,
        Field::GuarantorAccepted => input.guarantor_accepted = boolean(cell)?,
        Field::GuaranteeCompanyAccepted => input.guarantee_company_accepted = boolean(cell)?,
        Field::GuaranteeCompanies => {
            input.guarantee_companies = list(cell).map(str::to_owned).collect();
        }
        Field::RentReduction => input.rent_reduction = boolean(cell)?,
        Field::RentReductionYen => input.rent_reduction_yen = Some(integer(cell)?),
        Field::AcceptedCategories => input.accepted_categories = flags(cell, category_ja),
        Field::Conditions => input.conditions = flags(cell, condition_ja),
        Field::PetsAllowed => input.pets_allowed = boolean(cell)?,
        Field::Vacancy => input.vacancy = vacancy(cell),
        Field::VacantFrom => input.vacant_from = Some(text()),
        Field::Photos => input.photos = list(cell).map(str::to_owned).collect(),
        Field::Notes => input.notes = Some(text()),
    }
    Ok(())
}
