//! Everything `ee` prints as data: tables for people, JSON (one object per line) and CSV (a header row, then one
//! row per record), colour, bar charts, and how dates, programs and round types read.

use std::io::{IsTerminal, Write};

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use ee_proto::v1;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns and charts, for people.
    Table,
    /// The proto3 JSON mapping of each answer or event, one object per line.
    Json,
    /// A header row, then one row per record.
    Csv,
}

/// ANSI colour, on only for a table on a terminal with NO_COLOR unset (https://no-color.org).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub on: bool,
}

impl Style {
    pub fn detect(format: Format) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Self {
            on: format == Format::Table && !no_color && !dumb && std::io::stdout().is_terminal(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// Standard output in one format.
pub struct Out {
    pub format: Format,
    pub style: Style,
    csv_header: Option<Vec<String>>,
    sink: Box<dyn Write>,
}

impl Out {
    pub fn stdout(format: Format) -> Self {
        Self {
            format,
            style: Style::detect(format),
            csv_header: None,
            sink: Box::new(std::io::stdout()),
        }
    }

    /// Output into a buffer, without colour (for tests).
    pub fn buffer(format: Format, sink: Box<dyn Write>) -> Self {
        Self {
            format,
            style: Style { on: false },
            csv_header: None,
            sink,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        match self.sink.write_all(bytes).and_then(|()| self.sink.flush()) {
            // `ee draws list | head`: the reader has what it wanted, which is not a failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => Ok(r?),
        }
    }

    /// Bytes as they are.
    pub fn raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.write(bytes)
    }

    /// One line of text (table format).
    pub fn line(&mut self, text: impl AsRef<str>) -> anyhow::Result<()> {
        let mut bytes = text.as_ref().as_bytes().to_vec();
        bytes.push(b'\n');
        self.write(&bytes)
    }

    /// One message in the proto3 JSON mapping, on its own line.
    pub fn message<M: prost::Message>(&mut self, message: &M, name: &str) -> anyhow::Result<()> {
        self.line(crate::messages::to_json(message, name))
    }

    /// One CSV row; the header goes out before the first.
    pub fn csv_row<S: AsRef<str>>(&mut self, header: &[&str], row: &[S]) -> anyhow::Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        if self.csv_header.is_none() {
            w.write_record(header)?;
            self.csv_header = Some(header.iter().map(|h| (*h).to_owned()).collect());
        }
        w.write_record(row.iter().map(AsRef::as_ref))?;
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.write(&bytes)
    }

    /// A header row with no records (CSV of an empty answer still names its columns).
    pub fn csv_header_only(&mut self, header: &[&str]) -> anyhow::Result<()> {
        if self.csv_header.is_some() {
            return Ok(());
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header)?;
        self.csv_header = Some(header.iter().map(|h| (*h).to_owned()).collect());
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.write(&bytes)
    }

    /// Rows as aligned columns under a bold header. `right` marks the columns aligned right (numbers).
    pub fn table(
        &mut self,
        header: &[&str],
        right: &[bool],
        rows: &[Vec<String>],
    ) -> anyhow::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(width(cell));
                }
            }
        }
        let render = |cells: &[String]| {
            let last = cells.len().saturating_sub(1);
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(width(c));
                    if right.get(i).copied().unwrap_or(false) {
                        format!("{}{c}", " ".repeat(pad))
                    } else if i == last {
                        c.clone()
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let head: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        let head = render(&head);
        let style = self.style;
        self.line(style.bold(&head))?;
        for row in rows {
            self.line(render(row))?;
        }
        Ok(())
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// A horizontal bar of `value` out of `max`, at most `cells` characters, in eighths of a cell.
pub fn bar(value: f64, max: f64, cells: usize) -> String {
    if max <= 0.0 || value <= 0.0 {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * cells as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    if s.is_empty() {
        // A value too small to show is still not nothing.
        s.push('▏');
    }
    s
}

/// A pool distribution as a bar chart, one line per range as given (IRCC's order: highest first), the range holding
/// `score` marked with `mark` (`ee draws show`: the minimum CRS; `ee pool`: the candidate's score).
pub fn pool_chart(
    out: &mut Out,
    buckets: &[v1::CrsBucket],
    score: u32,
    mark: &str,
) -> anyhow::Result<()> {
    let s = out.style;
    let max = buckets.iter().map(|b| b.candidates).max().unwrap_or(0) as f64;
    for b in buckets {
        let range = format!("{}-{}", b.min_score, b.max_score);
        let mark = if score >= b.min_score && score <= b.max_score {
            s.cyan(mark)
        } else {
            String::new()
        };
        out.line(format!(
            "  {range:>8}  {:>7}  {}{mark}",
            thousands(b.candidates),
            bar(b.candidates as f64, max, 40)
        ))?;
    }
    Ok(())
}

/// A timestamp as `2024-05-30 15:04:05` UTC, or `-` when unset.
pub fn time(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

/// A timestamp as RFC 3339 (for CSV), or empty when unset.
pub fn rfc3339(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map_or_else(String::new, |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        })
}

/// The day of a timestamp, `2024-05-30`, or `-`.
pub fn day(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string())
}

/// A date as `2024-05-30`, or `-` when unset.
pub fn date(d: &Option<v1::Date>) -> String {
    d.as_ref().map_or_else(
        || "-".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    )
}

/// A date as `2024-05-30`, or empty when unset (for CSV).
pub fn date_or_empty(d: &Option<v1::Date>) -> String {
    d.as_ref().map_or_else(String::new, |d| {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    })
}

pub fn program(p: i32) -> &'static str {
    match v1::Program::try_from(p) {
        Ok(v1::Program::Cec) => "CEC",
        Ok(v1::Program::Pnp) => "PNP",
        Ok(v1::Program::Fsw) => "FSW",
        Ok(v1::Program::Fst) => "FST",
        _ => "?",
    }
}

pub fn programs(ps: &[i32]) -> String {
    ps.iter().map(|p| program(*p)).collect::<Vec<_>>().join(" ")
}

pub fn kind(k: i32) -> &'static str {
    match v1::RoundKind::try_from(k) {
        Ok(v1::RoundKind::General) => "general",
        Ok(v1::RoundKind::Program) => "program",
        Ok(v1::RoundKind::Category) => "category",
        _ => "?",
    }
}

/// The round type as IRCC labelled it, marked when this release's catalogue does not know it.
pub fn round_type(t: &Option<v1::RoundType>) -> String {
    t.as_ref().map_or_else(String::new, |t| {
        if t.uncatalogued {
            format!("{} [not in the catalogue]", t.name)
        } else {
            t.name.clone()
        }
    })
}

/// Thousands separated by commas, as IRCC publishes them.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The CSV columns of a round.
pub const DRAW_CSV: &[&str] = &[
    "number",
    "held_at",
    "kind",
    "program",
    "category_id",
    "category_version",
    "round_type",
    "uncatalogued",
    "invitations",
    "minimum_crs",
    "tie_break_at",
    "eligible_programs",
];

pub fn draw_csv(d: &v1::Draw) -> Vec<String> {
    let t = d.round_type.clone().unwrap_or_default();
    vec![
        d.number.clone(),
        rfc3339(&d.held_at),
        kind(t.kind).to_owned(),
        if t.program == 0 {
            String::new()
        } else {
            program(t.program).to_owned()
        },
        t.category_id.clone(),
        if t.category_version == 0 {
            String::new()
        } else {
            t.category_version.to_string()
        },
        t.name.clone(),
        t.uncatalogued.to_string(),
        d.invitations.to_string(),
        d.minimum_crs.to_string(),
        rfc3339(&d.tie_break_at),
        programs(&d.eligible_programs),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_numbers() {
        assert_eq!(bar(10.0, 10.0, 4), "████");
        assert_eq!(bar(5.0, 10.0, 4), "██");
        assert_eq!(bar(1.0, 16.0, 2), "▏");
        assert_eq!(bar(15.0, 16.0, 2), "█▉");
        assert_eq!(bar(0.0, 10.0, 4), "");
        assert_eq!(bar(0.001, 10.0, 4), "▏");
        assert_eq!(thousands(1_030_671), "1,030,671");
        assert_eq!(thousands(999), "999");
    }
}
