//! Writing rentals as CSV records (the example files, tests and the import benchmark).

use super::{COLUMNS, Field};
use crate::domain::rental::RentalInput;

/// The header row naming every column, in English or Japanese.
pub fn header_row(japanese: bool) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|c| if japanese { c.ja } else { c.name })
        .collect()
}

/// A rental as a record under [`header_row`] (for examples, tests and benchmarks).
/// A 居住サポート住宅 loses its certification: it has no column.
pub fn record_of(input: &RentalInput) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    COLUMNS
        .iter()
        .map(|c| match c.field {
            Field::OwnerOrgId => opt(&input.owner_org_id),
            Field::AgentOrgId => opt(&input.agent_org_id),
            Field::RegistrationNumber => input.registration_number.clone(),
            Field::RegistrationDate => input.registration_date.clone(),
            Field::PostalCode => opt(&input.postal_code),
            Field::PrefectureCode => input.prefecture_code.clone(),
            Field::MunicipalityCode => input.municipality_code.clone(),
            Field::MunicipalityName => input.municipality_name.clone(),
            Field::AddressLine => input.address_line.clone(),
            Field::Latitude => num(input.latitude),
            Field::Longitude => num(input.longitude),
            Field::BuildingName => opt(&input.building_name),
            Field::UnitNumber => opt(&input.unit_number),
            Field::Structure => input.structure.clone(),
            Field::YearBuilt => input.year_built.to_string(),
            Field::QuakeResistant => input.quake_resistant.to_string(),
            Field::FloorsTotal => input.floors_total.to_string(),
            Field::UnitFloor => input.unit_floor.to_string(),
            Field::Elevator => input.elevator.to_string(),
            Field::Accessibility => input.accessibility.join("|"),
            Field::FloorArea => input.floor_area_m2.to_string(),
            Field::Layout => input.layout.clone(),
            Field::Rent => input.rent.to_string(),
            Field::CommonFee => input.common_fee.to_string(),
            Field::Deposit => input.deposit.to_string(),
            Field::KeyMoney => input.key_money.to_string(),
            Field::GuarantorAccepted => input.guarantor_accepted.to_string(),
            Field::GuaranteeCompanyAccepted => input.guarantee_company_accepted.to_string(),
            Field::GuaranteeCompanies => input.guarantee_companies.join("|"),
            Field::RentReduction => input.rent_reduction.to_string(),
            Field::RentReductionYen => input
                .rent_reduction_yen
                .map(|v| v.to_string())
                .unwrap_or_default(),
            Field::AcceptedCategories => input.accepted_categories.join("|"),
            Field::Conditions => input.conditions.join("|"),
            Field::PetsAllowed => input.pets_allowed.to_string(),
            Field::Vacancy => input.vacancy.clone(),
            Field::VacantFrom => opt(&input.vacant_from),
            Field::Photos => input.photos.join("|"),
            Field::Notes => opt(&input.notes),
        })
        .collect()
}
