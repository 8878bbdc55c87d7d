//! Rendering query results as tables, CSV or JSON, the same for every engine (DataFusion
//! locally, Athena with `query --athena`), and byte counts for humans.

use std::fmt::Write;

use clap::ValueEnum;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use pipeline_core::QueryResult;
use serde_json::Value;

/// Output format of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable table.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row (NDJSON).
    Json,
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    }
}

/// Renders a result in `format`.
pub fn render(result: &QueryResult, format: Format) -> String {
    match format {
        Format::Table => render_table(result),
        Format::Csv => render_csv(result),
        Format::Json => render_json(result),
    }
}

fn render_table(result: &QueryResult) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(result.columns.iter().map(|c| c.name.clone()));
    for row in &result.rows {
        table.add_row(row.iter().map(cell_text));
    }
    for (index, column) in result.columns.iter().enumerate() {
        let numeric = result
            .rows
            .iter()
            .all(|row| matches!(row.get(index), Some(Value::Number(_)) | Some(Value::Null)));
        if numeric && !result.rows.is_empty() {
            if let Some(table_column) = table.column_mut(index) {
                table_column.set_cell_alignment(CellAlignment::Right);
            }
        }
        let _ = column;
    }
    let mut text = table.to_string();
    let _ = write!(
        text,
        "\n({} row{})",
        result.rows.len(),
        if result.rows.len() == 1 { "" } else { "s" }
    );
    text
}

/// `1536` → `1.5 KiB`.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn render_csv(result: &QueryResult) -> String {
    let mut out = String::new();
    let header: Vec<String> = result.columns.iter().map(|c| csv_field(&c.name)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &result.rows {
        let fields: Vec<String> = row.iter().map(|v| csv_field(&cell_text(v))).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.trim_end().to_owned()
}

/// One JSON object per row, keys in the result's column order (a `serde_json::Map` would sort
/// them alphabetically).
fn render_json(result: &QueryResult) -> String {
    let lines: Vec<String> = result
        .rows
        .iter()
        .map(|row| {
            let members: Vec<String> = result
                .columns
                .iter()
                .zip(row)
                .map(|(column, value)| format!("{}:{value}", Value::String(column.name.clone())))
                .collect();
            format!("{{{}}}", members.join(","))
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline_core::ResultColumn;
    use serde_json::json;

    fn sample() -> QueryResult {
        QueryResult {
            columns: vec![
                ResultColumn { name: "country".into(), type_name: "Utf8".into() },
                ResultColumn { name: "events".into(), type_name: "Int64".into() },
            ],
            rows: vec![vec![json!("US"), json!(10)], vec![json!("B,R \"x\""), json!(2)]],
            ..QueryResult::default()
        }
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1_536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn renders_every_format() {
        insta::assert_snapshot!(render(&sample(), Format::Table), @r#"
        ┌─────────┬────────┐
        │ country ┆ events │
        ╞═════════╪════════╡
        │ US      ┆     10 │
        │ B,R "x" ┆      2 │
        └─────────┴────────┘
        (2 rows)
        "#);
        assert_eq!(render(&sample(), Format::Csv), "country,events\nUS,10\n\"B,R \"\"x\"\"\",2");
        assert_eq!(
            render(&sample(), Format::Json),
            "{\"country\":\"US\",\"events\":10}\n{\"country\":\"B,R \\\"x\\\"\",\"events\":2}"
        );
    }
}
