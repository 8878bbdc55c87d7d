//! CloudWatch Embedded Metric Format (EMF) lines. A Lambda prints them to stdout and
//! CloudWatch turns them into metrics, with no API call on the hot path.

use serde_json::{json, Map, Value};

/// The namespace every StreamLake metric is published under.
pub const NAMESPACE: &str = "StreamLake";

/// Unit of a metric value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain count.
    Count,
    /// Bytes.
    Bytes,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
}

impl Unit {
    const fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Bytes => "Bytes",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
        }
    }
}

/// One metric value.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Metric name (`RecordsIn`, ...).
    pub name: &'static str,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: Unit,
}

impl Metric {
    /// A count metric.
    pub fn count(name: &'static str, value: u64) -> Self {
        Self { name, value: value as f64, unit: Unit::Count }
    }

    /// A byte-size metric.
    pub fn bytes(name: &'static str, value: u64) -> Self {
        Self { name, value: value as f64, unit: Unit::Bytes }
    }

    /// A duration (an age, a lag) in seconds.
    pub fn seconds(name: &'static str, value: u64) -> Self {
        Self { name, value: value as f64, unit: Unit::Seconds }
    }

    /// A duration metric in milliseconds.
    pub fn milliseconds(name: &'static str, value: u64) -> Self {
        Self { name, value: value as f64, unit: Unit::Milliseconds }
    }
}

/// Renders one EMF JSON line with the given dimensions (e.g. `[("Pipeline","streamlake"),
/// ("Function","transformer")]`) and timestamp (epoch milliseconds, taken by the caller).
pub fn emf_line(dimensions: &[(&str, &str)], metrics: &[Metric], timestamp_ms: i64) -> String {
    let mut root = Map::new();
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|metric| json!({"Name": metric.name, "Unit": metric.unit.as_str()}))
        .collect();
    let dimension_names: Vec<&str> = dimensions.iter().map(|(name, _)| *name).collect();
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimension_names],
                "Metrics": definitions,
            }]
        }),
    );
    for (name, value) in dimensions {
        root.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    for metric in metrics {
        root.insert(metric.name.to_owned(), json!(metric.value));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_declares_every_metric_and_dimension() {
        let line = emf_line(
            &[("Pipeline", "streamlake"), ("Function", "transformer")],
            &[
                Metric::count("RecordsIn", 10),
                Metric { name: "DurationMs", value: 5.0, unit: Unit::Milliseconds },
            ],
            1_700_000_000_000,
        );
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["_aws"]["CloudWatchMetrics"][0]["Namespace"], "StreamLake");
        assert_eq!(value["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][1], "Function");
        assert_eq!(value["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Unit"], "Milliseconds");
        assert_eq!(value["RecordsIn"], 10.0);
        assert_eq!(value["Function"], "transformer");
        assert!(!line.contains('\n'));
    }
}
