//! The two migration trees stay in step: SQLite and PostgreSQL end up with the same
//! tables and columns, every `down.sql` undoes its `up.sql`, and migrating again is a
//! no-op. These run on both backends whatever `SUMAI_TEST_POSTGRES_URL` says: this
//! machine always has PostgreSQL.

use std::collections::BTreeSet;

use diesel::sql_types::{Integer, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use sumai_link::db::{DatabaseUrl, Db, DbConn, redo_all_migrations, run_migrations};

use crate::helpers::TestDatabase;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One column as both backends can describe it: table, column, loose type, nullable.
type Column = (String, String, String, bool);

/// A fresh PostgreSQL database; fails (never skips) when PostgreSQL is not there.
fn postgres() -> TestDatabase {
    let base = std::env::var("SUMAI_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES.to_owned());
    if let Err(e) = diesel::PgConnection::establish(&base) {
        panic!(
            "PostgreSQL is needed for the migration tests: cannot connect to {base} \
             (set SUMAI_TEST_POSTGRES_URL): {e}"
        );
    }
    TestDatabase::postgres(&base)
}

fn connect(database: &TestDatabase) -> Db {
    let url = DatabaseUrl::parse(&database.url).expect("database url");
    Db::connect(&url, 1).expect("connect")
}

/// The same spelling for the types both backends are allowed to use (STYLE.md point 9).
fn loose_type(t: &str) -> String {
    let t = t.trim().to_ascii_lowercase();
    match t.as_str() {
        "text" => "text",
        "integer" | "int" | "int4" => "integer",
        "bigint" | "int8" => "bigint",
        "smallint" | "int2" => "smallint",
        // PostgreSQL's `real` is 4 bytes, so it is not folded into `double`.
        "double" | "double precision" | "float8" => "double",
        "boolean" | "bool" => "boolean",
        "blob" | "bytea" => "binary",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => other,
    }
    .to_owned()
}

fn columns(conn: &mut DbConn) -> BTreeSet<Column> {
    match conn {
        DbConn::Sqlite(c) => {
            #[derive(QueryableByName)]
            struct Info {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
                #[diesel(sql_type = Text)]
                data_type: String,
                #[diesel(sql_type = Integer)]
                not_null: i32,
                #[diesel(sql_type = Integer)]
                pk: i32,
            }
            let rows: Vec<Info> = diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type,
                        p.\"notnull\" AS not_null, p.pk AS pk
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                   AND m.name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("sqlite table_info");
            rows.into_iter()
                .map(|r| {
                    // SQLite, unlike the SQL standard and PostgreSQL, lets a non-INTEGER
                    // PRIMARY KEY hold NULL unless it says NOT NULL. Ids are always made
                    // in Rust, so a key column counts as NOT NULL here.
                    let nullable = r.not_null == 0 && r.pk == 0;
                    // An `INTEGER PRIMARY KEY` is SQLite's 64-bit rowid (it must be
                    // spelled INTEGER to be one): PostgreSQL's BIGSERIAL.
                    let data_type = if r.pk == 1 && r.data_type.eq_ignore_ascii_case("integer") {
                        "bigint".to_owned()
                    } else {
                        loose_type(&r.data_type)
                    };
                    (r.table_name, r.column_name, data_type, nullable)
                })
                .collect()
        }
        DbConn::Postgres(c) => {
            #[derive(QueryableByName)]
            struct Info {
                #[diesel(sql_type = Text)]
                table_name: String,
                #[diesel(sql_type = Text)]
                column_name: String,
                #[diesel(sql_type = Text)]
                data_type: String,
                #[diesel(sql_type = Text)]
                is_nullable: String,
            }
            let rows: Vec<Info> = diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name,
                        data_type::text AS data_type, is_nullable::text AS is_nullable
                 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .expect("information_schema.columns");
            rows.into_iter()
                .map(|r| {
                    (
                        r.table_name,
                        r.column_name,
                        loose_type(&r.data_type),
                        r.is_nullable == "YES",
                    )
                })
                .collect()
        }
    }
}

fn tables(cols: &BTreeSet<Column>) -> BTreeSet<String> {
    cols.iter().map(|c| c.0.clone()).collect()
}

fn applied(conn: &mut DbConn) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<N> = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .load(conn)
        .expect("count migrations");
    rows[0].n
}

/// A migrated database (removed when dropped), its pool, and its columns.
type Migrated = (TestDatabase, Db, BTreeSet<Column>);

/// Migrates a fresh database of each backend and returns (sqlite, postgres).
fn migrate_both() -> (Migrated, Migrated) {
    let mut out = Vec::new();
    for database in [TestDatabase::sqlite(), postgres()] {
        let db = connect(&database);
        let mut conn = db.get().expect("connection");
        run_migrations(&mut conn).expect("migrations");
        let cols = columns(&mut conn);
        drop(conn);
        out.push((database, db, cols));
    }
    let pg = out.pop().expect("postgres");
    let sqlite = out.pop().expect("sqlite");
    (sqlite, pg)
}

/// Explains a difference between two column sets, one line per column.
fn diff(a_name: &str, a: &BTreeSet<Column>, b_name: &str, b: &BTreeSet<Column>) -> String {
    let only = |x: &BTreeSet<Column>, y: &BTreeSet<Column>, name: &str| {
        x.difference(y)
            .map(|(t, c, ty, null)| {
                format!(
                    "  only in {name}: {t}.{c} {ty} {}",
                    if *null { "NULL" } else { "NOT NULL" }
                )
            })
            .collect::<Vec<_>>()
    };
    let mut lines = only(a, b, a_name);
    lines.extend(only(b, a, b_name));
    lines.join("\n")
}

#[test]
fn sqlite_and_postgresql_migrations_create_the_same_tables_and_columns() {
    let ((_s, _, sqlite), (_p, _, pg)) = migrate_both();
    assert!(
        tables(&sqlite).contains("users"),
        "no users table: {sqlite:?}"
    );
    assert_eq!(
        tables(&sqlite),
        tables(&pg),
        "the backends have different tables"
    );
    assert!(
        sqlite == pg,
        "the backends' columns differ:\n{}",
        diff("sqlite", &sqlite, "postgres", &pg)
    );
}

#[test]
fn redoing_every_migration_leaves_the_same_tables_on_both_backends() {
    let ((_s, sdb, sqlite), (_p, pdb, pg)) = migrate_both();
    for (name, db, before) in [("sqlite", &sdb, &sqlite), ("postgres", &pdb, &pg)] {
        let mut conn = db.get().expect("connection");
        let count = applied(&mut conn);
        redo_all_migrations(&mut conn).unwrap_or_else(|e| panic!("redo on {name}: {e}"));
        let after = columns(&mut conn);
        assert!(
            &after == before,
            "{name} differs after a redo:\n{}",
            diff("before", before, "after", &after)
        );
        assert_eq!(applied(&mut conn), count, "{name}: migrations applied");
    }
}

#[test]
fn migrating_twice_changes_nothing() {
    let ((_s, sdb, sqlite), (_p, pdb, pg)) = migrate_both();
    for (name, db, before) in [("sqlite", &sdb, &sqlite), ("postgres", &pdb, &pg)] {
        let mut conn = db.get().expect("connection");
        let count = applied(&mut conn);
        assert!(count >= 1, "{name}: no migration recorded");
        run_migrations(&mut conn).unwrap_or_else(|e| panic!("second run on {name}: {e}"));
        assert_eq!(applied(&mut conn), count, "{name}: migrations applied");
        assert!(
            &columns(&mut conn) == before,
            "{name} changed on a second run"
        );
    }
}
