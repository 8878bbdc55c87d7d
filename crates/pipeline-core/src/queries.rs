//! The named queries of `sql/queries/`, embedded at compile time so the CLI and the
//! query-runner Lambda run exactly the same SQL (Athena/Trino dialect, also valid on
//! DataFusion), and the Athena DDL of `sql/ddl/`.

/// A named query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedQuery {
    /// Name (the file stem).
    pub name: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

macro_rules! named {
    ($name:literal) => {
        NamedQuery {
            name: $name,
            sql: include_str!(concat!("../../../sql/queries/", $name, ".sql")),
        }
    };
}

/// Every named query, in the order the demo prints them.
pub const NAMED_QUERIES: [NamedQuery; 8] = [
    named!("rows_per_date"),
    named!("event_type_distribution"),
    named!("top_titles"),
    named!("events_by_country"),
    named!("events_by_device"),
    named!("dq_rejections_by_reason"),
    named!("top_titles_by_views"),
    named!("playback_quality_by_device"),
];

impl NamedQuery {
    /// The description: the text of the leading `--` comment.
    pub fn summary(&self) -> &'static str {
        self.sql
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("--"))
            .map(str::trim)
            .unwrap_or(self.name)
    }
}

/// Looks up a named query.
pub fn named_query(name: &str) -> Option<&'static NamedQuery> {
    NAMED_QUERIES.iter().find(|query| query.name == name)
}

/// The number of `?` parameter placeholders in `sql`, ignoring string literals, quoted
/// identifiers and comments: what Athena will bind execution parameters to.
pub fn placeholder_count(sql: &str) -> usize {
    placeholder_offsets(sql).len()
}

/// The byte offsets of the `?` parameter placeholders in `sql`, in order, ignoring string
/// literals, quoted identifiers and comments.
pub fn placeholder_offsets(sql: &str) -> Vec<usize> {
    let bytes = sql.as_bytes();
    let mut offsets = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                // A doubled quote inside a literal is an escaped quote.
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'?' => offsets.push(i),
            _ => {}
        }
        i += 1;
    }
    offsets
}

/// The Athena DDL files, by table name.
pub const ATHENA_DDL: [(&str, &str); 12] = [
    ("raw_netflix_events", include_str!("../../../sql/ddl/raw_netflix_events.sql")),
    ("processed_netflix_events", include_str!("../../../sql/ddl/processed_netflix_events.sql")),
    ("quarantined_netflix_events", include_str!("../../../sql/ddl/quarantined_netflix_events.sql")),
    ("netflix_titles", include_str!("../../../sql/ddl/netflix_titles.sql")),
    ("daily_title_engagement", include_str!("../../../sql/ddl/daily_title_engagement.sql")),
    (
        "daily_engagement_by_country_device",
        include_str!("../../../sql/ddl/daily_engagement_by_country_device.sql"),
    ),
    ("daily_playback_quality", include_str!("../../../sql/ddl/daily_playback_quality.sql")),
    ("daily_ttfh_distribution", include_str!("../../../sql/ddl/daily_ttfh_distribution.sql")),
    ("daily_event_types", include_str!("../../../sql/ddl/daily_event_types.sql")),
    ("daily_data_quality", include_str!("../../../sql/ddl/daily_data_quality.sql")),
    ("daily_quarantine_reasons", include_str!("../../../sql/ddl/daily_quarantine_reasons.sql")),
    ("pipeline_ledgers", include_str!("../../../sql/ddl/pipeline_ledgers.sql")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_literals_and_comments_are_counted() {
        assert_eq!(placeholder_count("SELECT 1"), 0);
        assert_eq!(placeholder_count("SELECT * FROM t WHERE d >= ? AND d < ?"), 2);
        assert_eq!(placeholder_count("SELECT '?', \"a?\" FROM t -- ?\nWHERE x = ? /* ? */"), 1);
        assert_eq!(placeholder_count("SELECT 'it''s ?' WHERE y = ?"), 1);
        assert_eq!(placeholder_offsets("a = ? AND '?' = ?"), vec![4, 16]);
        for query in NAMED_QUERIES {
            assert_eq!(placeholder_count(query.sql), 0, "{} takes no parameters", query.name);
        }
    }
    use event_model::schema::PARQUET_TABLES;

    #[test]
    fn every_named_query_is_embedded_with_a_summary() {
        for query in NAMED_QUERIES {
            assert!(query.sql.contains("SELECT"), "{}", query.name);
            assert!(!query.summary().is_empty() && query.summary() != query.name, "{}", query.name);
        }
        assert!(named_query("top_titles").is_some());
        assert!(named_query("nope").is_none());
    }

    /// The hand-written Athena DDL must declare exactly the columns the transformer writes.
    #[test]
    fn athena_ddl_matches_the_table_specs() {
        for spec in PARQUET_TABLES {
            let (_, ddl) = ATHENA_DDL.iter().find(|(name, _)| *name == spec.name).unwrap();
            let statement = &ddl[ddl.find("CREATE EXTERNAL TABLE").unwrap()..];
            let body = statement.split_once('(').unwrap().1;
            let columns_text = body.split_once("\n)").unwrap().0;
            let declared: Vec<(String, String)> = columns_text
                .lines()
                .map(|line| line.trim().trim_end_matches(','))
                .filter(|line| !line.is_empty())
                .map(|line| {
                    let (name, ty) = line.split_once(' ').unwrap();
                    (name.to_owned(), ty.trim().to_owned())
                })
                .collect();
            let expected: Vec<(String, String)> = spec
                .columns
                .iter()
                .map(|c| (c.name.to_owned(), c.column_type.glue_type().to_owned()))
                .collect();
            assert_eq!(declared, expected, "{}", spec.name);
            for key in spec.partition_keys {
                assert!(ddl.contains(&format!("PARTITIONED BY ({key} string)")), "{}", spec.name);
            }
            match crate::commit::committed_table(spec.name) {
                Some(table) => {
                    assert!(ddl.contains(table.manifest_prefix), "{} manifest location", spec.name);
                    assert!(
                        ddl.contains("SymlinkTextInputFormat"),
                        "{} is a symlink table",
                        spec.name
                    );
                    assert!(ddl.contains("ParquetHiveSerDe"), "{} reads Parquet", spec.name);
                }
                None => assert!(ddl.contains(spec.location), "{} location", spec.name),
            }
        }
    }
}
