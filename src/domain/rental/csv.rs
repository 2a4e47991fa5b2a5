//! The CSV form of a rental for `POST /rentals/import` (docs/rentals-import.md): the
//! documented columns — English names identical to the JSON fields of [`RentalInput`],
//! and Japanese aliases — how one record's cells become a [`RentalInput`] and then a
//! [`ValidRental`], and the decoding of UTF-8 and Shift_JIS bodies. Pure: the caller
//! brings the bytes and the records.
//!
//! 居住サポート住宅 are not importable: their services do not fit in one cell, so they are
//! registered through the API.

mod cells;
mod decode;
mod write;

use ::csv::StringRecord;

use super::{RentalInput, ValidRental};
use crate::domain::validate::Fields;
use crate::error::ApiError;
pub use cells::boolean;
use cells::set;
pub use decode::{Charset, DecodeReader, Utf8Sniffer, reader};
pub use write::{header_row, record_of};

/// What a column holds, as the documentation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// An organisation id (UUID).
    Id,
    /// YYYY-MM-DD
    Date,
    /// A whole number; `42,000` and full-width digits are accepted.
    Integer,
    /// A decimal number.
    Decimal,
    /// true/false, 1/0, はい/いいえ, 可/不可
    Boolean,
    /// Items separated by `|`.
    List,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Id => "id (UUID)",
            Kind::Date => "date",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Boolean => "boolean",
            Kind::List => "list",
        }
    }
}

/// The field of [`RentalInput`] a column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    OwnerOrgId,
    AgentOrgId,
    RegistrationNumber,
    RegistrationDate,
    PostalCode,
    PrefectureCode,
    MunicipalityCode,
    MunicipalityName,
    AddressLine,
    Latitude,
    Longitude,
    BuildingName,
    UnitNumber,
    Structure,
    YearBuilt,
    QuakeResistant,
    FloorsTotal,
    UnitFloor,
    Elevator,
    Accessibility,
    FloorArea,
    Layout,
    Rent,
    CommonFee,
    Deposit,
    KeyMoney,
    GuarantorAccepted,
    GuaranteeCompanyAccepted,
    GuaranteeCompanies,
    RentReduction,
    RentReductionYen,
    AcceptedCategories,
    Conditions,
    PetsAllowed,
    Vacancy,
    VacantFrom,
    Photos,
    Notes,
}

/// One documented column.
#[derive(Debug)]
pub struct Column {
    pub field: Field,
    /// The JSON field name of [`RentalInput`].
    pub name: &'static str,
    /// The Japanese alias.
    pub ja: &'static str,
    pub kind: Kind,
    /// The header must name it and every row must fill it.
    pub required: bool,
    pub example: &'static str,
}

macro_rules! columns {
    ($($field:ident $name:literal $ja:literal $kind:ident $req:literal $ex:literal;)*) => {
        /// Every importable column, in the order of [`RentalInput`].
        pub const COLUMNS: &[Column] = &[
            $(Column { field: Field::$field, name: $name, ja: $ja, kind: Kind::$kind, required: $req, example: $ex },)*
        ];
    };
}

columns! {
    OwnerOrgId "owner_org_id" "所有者ID" Id false "0190a8f2-…";
    AgentOrgId "agent_org_id" "管理会社ID" Id false "0190a8f2-…";
    RegistrationNumber "registration_number" "登録番号" Text true "01-1000001";
    RegistrationDate "registration_date" "登録日" Date true "2024-04-01";
    PostalCode "postal_code" "郵便番号" Text false "060-0001";
    PrefectureCode "prefecture_code" "都道府県コード" Text true "01";
    MunicipalityCode "municipality_code" "市区町村コード" Text true "011002";
    MunicipalityName "municipality_name" "市区町村名" Text true "札幌市";
    AddressLine "address_line" "町名番地" Text true "中央区北1条西2丁目1-1";
    Latitude "latitude" "緯度" Decimal false "43.0621";
    Longitude "longitude" "経度" Decimal false "141.3544";
    BuildingName "building_name" "建物名" Text false "メゾン北一条";
    UnitNumber "unit_number" "部屋番号" Text false "203";
    Structure "structure" "構造" Text true "rc";
    YearBuilt "year_built" "築年" Integer true "1998";
    QuakeResistant "quake_resistant" "新耐震" Boolean true "true";
    FloorsTotal "floors_total" "階数" Integer true "5";
    UnitFloor "unit_floor" "所在階" Integer true "2";
    Elevator "elevator" "エレベーター" Boolean true "はい";
    Accessibility "accessibility" "バリアフリー" List false "step_free_entrance|handrails";
    FloorArea "floor_area_m2" "専有面積" Decimal true "25.5";
    Layout "layout" "間取り" Text true "1K";
    Rent "rent" "家賃" Integer true "42000";
    CommonFee "common_fee" "共益費" Integer false "3000";
    Deposit "deposit" "敷金" Integer false "42000";
    KeyMoney "key_money" "礼金" Integer false "0";
    GuarantorAccepted "guarantor_accepted" "連帯保証人可" Boolean true "不可";
    GuaranteeCompanyAccepted "guarantee_company_accepted" "保証会社可" Boolean true "可";
    GuaranteeCompanies "guarantee_companies" "保証会社" List false "全国賃貸保証";
    RentReduction "rent_reduction" "家賃低廉化" Boolean false "false";
    RentReductionYen "rent_reduction_yen" "低廉化額" Integer false "";
    AcceptedCategories "accepted_categories" "受入対象" List true "disability_mental|高齢者";
    Conditions "conditions" "入居条件" List false "watch_service";
    PetsAllowed "pets_allowed" "ペット可" Boolean false "いいえ";
    Vacancy "vacancy" "空室状況" Text true "空室";
    VacantFrom "vacant_from" "入居可能日" Date false "2026-12-01";
    Photos "photos" "写真" List false "https://example.jp/1.jpg";
    Notes "notes" "備考" Text false "駅まで徒歩5分";
}

/// A problem with one cell (or, without a column, with the whole row or header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The column as the file's header names it.
    pub column: Option<String>,
    pub reason: String,
}

impl CellError {
    fn new(column: &str, reason: impl Into<String>) -> Self {
        Self {
            column: Some(column.to_owned()),
            reason: reason.into(),
        }
    }
}

/// The header of a file: which column each position holds.
#[derive(Debug, Clone)]
pub struct Header {
    /// For each position in the file, the index into [`COLUMNS`].
    positions: Vec<usize>,
    /// For each of [`COLUMNS`], its position in the file and the name used there.
    used: Vec<Option<(usize, String)>>,
}

fn column_for(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    COLUMNS.iter().position(|c| c.name == lower || c.ja == name)
}

impl Header {
    /// Reads the header record: every column must be known, none may appear twice and
    /// every required column must be there. Reports every problem at once.
    pub fn parse(record: &StringRecord) -> Result<Self, Vec<CellError>> {
        let mut errors = Vec::new();
        let mut positions = Vec::with_capacity(record.len());
        let mut used: Vec<Option<(usize, String)>> = vec![None; COLUMNS.len()];
        for (pos, raw) in record.iter().enumerate() {
            let name = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            if name.is_empty() {
                errors.push(CellError {
                    column: None,
                    reason: format!("column {} of the header has no name", pos + 1),
                });
                continue;
            }
            if matches!(
                name.to_ascii_lowercase().as_str(),
                "support_housing" | "居住サポート住宅"
            ) {
                errors.push(CellError::new(
                    name,
                    "居住サポート住宅 cannot be imported by CSV; register them with POST /api/v1/rentals",
                ));
                continue;
            }
            let Some(i) = column_for(name) else {
                errors.push(CellError::new(
                    name,
                    "unknown column; docs/rentals-import.md lists the columns",
                ));
                continue;
            };
            if let Some((_, first)) = &used[i] {
                errors.push(CellError::new(
                    name,
                    format!("the column {first} appears twice"),
                ));
                continue;
            }
            used[i] = Some((pos, name.to_owned()));
            positions.push(i);
        }
        for (c, u) in COLUMNS.iter().zip(&used) {
            if c.required && u.is_none() {
                errors.push(CellError::new(
                    c.name,
                    format!("this required column ({}) is missing", c.ja),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Self { positions, used })
        } else {
            Err(errors)
        }
    }

    /// How many cells each row must have.
    pub fn width(&self) -> usize {
        self.positions.len()
    }

    /// The name the file gives the column that fills the JSON field `field` (e.g.
    /// `owner_org_id` → `所有者ID`); the field itself when the file has no such column.
    pub fn column_named(&self, field: &str) -> String {
        let base = field.split(['[', '.']).next().unwrap_or_default();
        match COLUMNS.iter().position(|c| c.name == base) {
            Some(i) => self.name_of(i).to_owned(),
            None => field.to_owned(),
        }
    }

    /// The name the file gives the column of `COLUMNS[i]` (its canonical name when the
    /// file has no such column).
    fn name_of(&self, i: usize) -> &str {
        match self.used.get(i) {
            Some(Some((_, name))) => name,
            _ => COLUMNS.get(i).map_or("", |c| c.name),
        }
    }

    /// The record as a [`RentalInput`], or the cells that could not be read.
    pub fn input(&self, record: &StringRecord, charset: Charset) -> (RentalInput, Vec<CellError>) {
        let mut input = RentalInput::default();
        let mut errors = Vec::new();
        for (&i, cell) in self.positions.iter().zip(record.iter()) {
            let column = &COLUMNS[i];
            let cell = cell.trim();
            if cell.contains('\u{fffd}') {
                errors.push(CellError::new(
                    self.name_of(i),
                    format!("contains bytes that are not valid {}", charset.name()),
                ));
            } else if cell.is_empty() {
                if column.required {
                    errors.push(CellError::new(self.name_of(i), "is required"));
                }
            } else if let Err(reason) = set(&mut input, column.field, cell) {
                errors.push(CellError::new(self.name_of(i), reason));
            }
        }
        (input, errors)
    }

    /// Reads and validates one data record against `today`; on failure, every problem
    /// of the row, named by the file's column names, in the order of the columns.
    pub fn read_row(
        &self,
        record: &StringRecord,
        charset: Charset,
        today: chrono::NaiveDate,
    ) -> Result<ValidRental, Vec<CellError>> {
        if record.len() != self.width() {
            return Err(vec![CellError {
                column: None,
                reason: format!(
                    "has {} cells but the header has {} columns",
                    record.len(),
                    self.width()
                ),
            }]);
        }
        let (input, mut errors) = self.input(record, charset);
        let unreadable: Vec<Option<String>> = errors.iter().map(|e| e.column.clone()).collect();
        let mut f = Fields::new();
        let valid = input.validate(today, &mut f);
        match f.finish() {
            Ok(()) if errors.is_empty() => {
                return valid.ok_or_else(|| {
                    vec![CellError {
                        column: None,
                        reason: "could not be read".into(),
                    }]
                });
            }
            Ok(()) => {}
            Err(ApiError::Validation(fields)) => {
                for fe in fields {
                    let column = self.column_named(&fe.field);
                    // A cell that could not be read was left empty: what validation
                    // says about it is noise.
                    if !unreadable.contains(&Some(column.clone())) {
                        errors.push(CellError {
                            column: Some(column),
                            reason: fe.message,
                        });
                    }
                }
            }
            Err(other) => errors.push(CellError {
                column: None,
                reason: other.to_string(),
            }),
        }
        let order = |e: &CellError| {
            e.column
                .as_deref()
                .and_then(|c| self.used.iter().flatten().find(|(_, n)| n == c))
                .map_or(usize::MAX, |(pos, _)| *pos)
        };
        errors.sort_by_key(order);
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
