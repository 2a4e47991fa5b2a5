//! Bulk INSERTs of an import on PostgreSQL: one statement per batch whose rows come
//! from `UNNEST` over one array per column. Its text never changes, so diesel keeps it
//! prepared and PostgreSQL parses and plans it once per connection — a multi-row
//! `VALUES` list with 24,000 parameters is parsed and planned anew for every batch — and
//! a batch is not bound by PostgreSQL's 65,535 parameters. (COPY is not reachable
//! through diesel.)

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Date, Double, Integer, Nullable, Text, Timestamp};

use crate::db::rentals::RentalRow;

/// `INSERT INTO {table} ({columns}) SELECT * FROM UNNEST($1::{type}[], …)`.
fn unnest_insert(table: &str, columns: &[(&str, &str)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| format!("${}::{ty}[]", i + 1))
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT * FROM UNNEST({})",
        names.join(", "),
        arrays.join(", ")
    )
}

/// Binds one array per column, in the order of the list, and runs the INSERT.
macro_rules! insert_columns {
    ($conn:expr, $table:literal, $rows:expr, $($col:literal $pg:literal $st:ty => |$r:ident| $get:expr;)*) => {{
        let sql = unnest_insert($table, &[$(($col, $pg)),*]);
        let query = diesel::sql_query(sql);
        $(
            let query = query.bind::<Array<$st>, _>(
                $rows.iter().map(|$r| $get).collect::<Vec<_>>(),
            );
        )*
        query.execute($conn).map(|_| ())
    }};
}

pub fn insert_rentals(pg: &mut PgConnection, rows: &[RentalRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    insert_columns!(pg, "rentals", rows,
        "id" "text" Text => |r| r.id.as_str();
        "owner_org_id" "text" Text => |r| r.owner_org_id.as_str();
        "agent_org_id" "text" Nullable<Text> => |r| r.agent_org_id.as_deref();
        "registration_number" "text" Text => |r| r.registration_number.as_str();
        "registration_date" "date" Date => |r| r.registration_date;
        "postal_code" "text" Nullable<Text> => |r| r.postal_code.as_deref();
        "prefecture_code" "text" Text => |r| r.prefecture_code.as_str();
        "municipality_code" "text" Text => |r| r.municipality_code.as_str();
        "municipality_name" "text" Text => |r| r.municipality_name.as_str();
        "address_line" "text" Text => |r| r.address_line.as_str();
        "latitude" "float8" Nullable<Double> => |r| r.latitude;
        "longitude" "float8" Nullable<Double> => |r| r.longitude;
        "geocode_status" "text" Text => |r| r.geocode_status.as_str();
        "geocode_detail" "text" Nullable<Text> => |r| r.geocode_detail.as_deref();
        "building_name" "text" Nullable<Text> => |r| r.building_name.as_deref();
        "structure" "text" Text => |r| r.structure.as_str();
        "year_built" "int4" Integer => |r| r.year_built;
        "quake_resistant" "bool" Bool => |r| r.quake_resistant;
        "floors_total" "int4" Integer => |r| r.floors_total;
        "unit_floor" "int4" Integer => |r| r.unit_floor;
        "unit_number" "text" Text => |r| r.unit_number.as_str();
        "elevator" "bool" Bool => |r| r.elevator;
        "accessibility" "int4" Integer => |r| r.accessibility;
        "floor_area_m2" "float8" Double => |r| r.floor_area_m2;
        "layout" "text" Text => |r| r.layout.as_str();
        "rent" "int4" Integer => |r| r.rent;
        "common_fee" "int4" Integer => |r| r.common_fee;
        "deposit" "int4" Integer => |r| r.deposit;
        "key_money" "int4" Integer => |r| r.key_money;
        "guarantor_accepted" "bool" Bool => |r| r.guarantor_accepted;
        "guarantee_company_accepted" "bool" Bool => |r| r.guarantee_company_accepted;
        "guarantee_companies" "text" Text => |r| r.guarantee_companies.as_str();
        "rent_reduction" "bool" Bool => |r| r.rent_reduction;
        "rent_reduction_yen" "int4" Nullable<Integer> => |r| r.rent_reduction_yen;
        "accepted_categories" "int4" Integer => |r| r.accepted_categories;
        "conditions" "int4" Integer => |r| r.conditions;
        "pets_allowed" "bool" Bool => |r| r.pets_allowed;
        "support_housing" "bool" Bool => |r| r.support_housing;
        "support_housing_corp_id" "text" Nullable<Text> => |r| r.support_housing_corp_id.as_deref();
        "support_housing_services" "text" Text => |r| r.support_housing_services.as_str();
        "vacancy" "text" Text => |r| r.vacancy.as_str();
        "vacant_from" "date" Nullable<Date> => |r| r.vacant_from;
        "photos" "text" Text => |r| r.photos.as_str();
        "notes" "text" Nullable<Text> => |r| r.notes.as_deref();
        "version" "int4" Integer => |r| r.version;
        "created_at" "timestamp" Timestamp => |r| r.created_at;
        "updated_at" "timestamp" Timestamp => |r| r.updated_at;
        "deleted_at" "timestamp" Nullable<Timestamp> => |r| r.deleted_at;
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_names_each_column_and_its_array() {
        assert_eq!(
            unnest_insert("t", &[("a", "text"), ("b", "int4")]),
            "INSERT INTO t (a, b) SELECT * FROM UNNEST($1::text[], $2::int4[])"
        );
    }
}
