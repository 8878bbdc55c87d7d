//! Progress bars (indicatif) for long CLI work, hidden when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use local_runtime::IngestProgress;

/// A bar counting `unit`s.
pub fn bar(total: u64, message: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let template = format!(
        "{{spinner:.green}} {{msg:<12}} [{{elapsed_precise}}] [{{wide_bar:.cyan/blue}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, eta {{eta}})"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_owned());
    bar
}

/// Adapts a bar to the ingest progress callbacks.
pub struct IngestBar(pub ProgressBar);

impl IngestProgress for IngestBar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }

    fn advance(&self, _key: &str) {
        self.0.inc(1);
    }
}
