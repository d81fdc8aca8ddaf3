//! Reading the migrated schema back from either backend's catalogue.

use diesel::{QueryableByName, RunQueryDsl};
use serde::Serialize;

use super::{run_blocking, DbPool};
use crate::error::Result;

/// Portable description of the migrated schema, used to check that both migration trees
/// produce the same tables, columns, types, nullability and unique indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaDescription {
    pub tables: Vec<TableDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDescription {
    pub name: String,
    pub columns: Vec<ColumnDescription>,
    /// Each unique index as its sorted column list (primary keys excluded).
    pub unique_indexes: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDescription {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "type")]
    sql_type: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    notnull: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndexRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    unique: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct PgColumnRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgIndexRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    columns: String,
}

pub(super) fn normalise_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "bigserial" | "int" | "int8" | "int4" => "integer".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        "boolean" | "bool" => "boolean".into(),
        "timestamp" | "timestamp without time zone" => "timestamp".into(),
        other => other.into(),
    }
}

/// Reads the schema from the database catalogue.
pub async fn describe_schema(pool: &DbPool) -> Result<SchemaDescription> {
    let mut tables = match pool.clone() {
        DbPool::Sqlite(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                let names: Vec<NameRow> = diesel::sql_query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
                )
                .load(&mut conn)?;
                let mut tables = Vec::new();
                for t in names {
                    let cols: Vec<SqliteColumnRow> =
                        diesel::sql_query(format!("PRAGMA table_info(\"{}\")", t.name)).load(&mut conn)?;
                    let columns = cols
                        .into_iter()
                        .map(|c| ColumnDescription {
                            // INTEGER PRIMARY KEY is implicitly NOT NULL in SQLite.
                            nullable: c.notnull == 0 && c.pk == 0,
                            name: c.name,
                            sql_type: normalise_type(&c.sql_type),
                        })
                        .collect();
                    let idx: Vec<SqliteIndexRow> =
                        diesel::sql_query(format!("PRAGMA index_list(\"{}\")", t.name)).load(&mut conn)?;
                    let mut unique_indexes = Vec::new();
                    for i in idx.into_iter().filter(|i| i.unique == 1 && i.origin != "pk") {
                        let cols: Vec<NameRow> =
                            diesel::sql_query(format!("SELECT name FROM pragma_index_info('{}')", i.name))
                                .load(&mut conn)?;
                        let mut cols: Vec<String> = cols.into_iter().map(|c| c.name).collect();
                        cols.sort();
                        unique_indexes.push(cols);
                    }
                    tables.push(TableDescription { name: t.name, columns, unique_indexes });
                }
                Ok(tables)
            })
            .await?
        }
        DbPool::Postgres(p) => {
            run_blocking(move || {
                let mut conn = p.get()?;
                let cols: Vec<PgColumnRow> = diesel::sql_query(
                    "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                     data_type::text AS data_type, is_nullable::text AS is_nullable \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name <> '__diesel_schema_migrations' ORDER BY table_name, ordinal_position",
                )
                .load(&mut conn)?;
                let idx: Vec<PgIndexRow> = diesel::sql_query(
                    "SELECT t.relname::text AS table_name, \
                     string_agg(a.attname::text, ',' ORDER BY a.attname) AS columns \
                     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indisunique AND NOT i.indisprimary AND n.nspname = current_schema() \
                     AND t.relname <> '__diesel_schema_migrations' \
                     GROUP BY t.relname, i.indexrelid",
                )
                .load(&mut conn)?;
                let mut tables: Vec<TableDescription> = Vec::new();
                for c in cols {
                    if tables.last().map(|t| t.name != c.table_name).unwrap_or(true) {
                        tables.push(TableDescription {
                            name: c.table_name.clone(),
                            columns: Vec::new(),
                            unique_indexes: Vec::new(),
                        });
                    }
                    if let Some(t) = tables.last_mut() {
                        t.columns.push(ColumnDescription {
                            name: c.column_name,
                            sql_type: normalise_type(&c.data_type),
                            nullable: c.is_nullable == "YES",
                        });
                    }
                }
                for i in idx {
                    if let Some(t) = tables.iter_mut().find(|t| t.name == i.table_name) {
                        t.unique_indexes.push(i.columns.split(',').map(str::to_string).collect());
                    }
                }
                Ok(tables)
            })
            .await?
        }
    };
    for t in &mut tables {
        t.unique_indexes.sort();
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SchemaDescription { tables })
}
