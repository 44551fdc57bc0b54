//! The figures, as a table for people and as JSON for machines.

use std::fmt::Write as _;

use serde::Serialize;

use crate::database::Backend;
use crate::load::Sample;
use crate::workload::Rpc;

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub smoke: bool,
    pub duration_seconds: f64,
    pub repeats: u32,
    pub backends: Vec<BackendReport>,
    /// RPC errors and missed deliveries; any makes the run fail.
    pub errors: Vec<String>,
    pub elapsed_seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    /// /proc/loadavg when the run started and when it ended.
    pub load_average_start: String,
    pub load_average_end: String,
}

#[derive(Debug, Serialize)]
pub struct BackendReport {
    pub backend: Backend,
    pub unary: Vec<UnaryRow>,
    pub fanout: Vec<FanoutRow>,
    pub replica: Option<ReplicaFigures>,
    pub import: Option<ImportFigures>,
    pub growth: Vec<GrowthRow>,
    pub growth_fanout: Vec<FanoutRow>,
}

/// Medians over the repeats.
#[derive(Debug, Serialize, Clone)]
pub struct Figures {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Serialize)]
pub struct UnaryRow {
    pub rpc: Rpc,
    pub label: &'static str,
    pub concurrency: u32,
    pub connections: u32,
    /// Size of the subject's encoded answer, which the baseline answers too.
    pub answer_bytes: usize,
    pub subject: Figures,
    pub baseline: Figures,
    /// subject / baseline requests per second.
    pub ratio: f64,
    pub target_ratio: f64,
}

#[derive(Debug, Serialize, Clone)]
pub struct FanoutRow {
    pub history_rounds: usize,
    pub subscribers: u32,
    pub connections: u32,
    pub rounds: u32,
    /// From RecordDraw returning to each receipt.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub missed: u64,
    pub rss_idle_kib: u64,
    pub rss_subscribed_kib: u64,
    pub kib_per_subscriber: f64,
    /// Flags the server was started with for this measurement.
    pub server_flags: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ReplicaFigures {
    pub writes: u32,
    /// From RecordDraw returning on the writer to the receipt on the other replica (0 when the receipt came first).
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// From RecordDraw sent to the receipt on the other replica.
    pub from_sent_p50_ms: f64,
    pub from_sent_p99_ms: f64,
    pub missed: u64,
}

#[derive(Debug, Serialize)]
pub struct ImportFigures {
    pub rounds: u32,
    pub full_ms: Vec<f64>,
    pub full_median_ms: f64,
    pub unchanged_ms: Vec<f64>,
    pub unchanged_median_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct GrowthRow {
    pub factor: u32,
    pub rounds: usize,
    /// Time to import the synthetic rounds that took the history to this size.
    pub load_ms: f64,
    pub rss_kib: u64,
    /// RSS over the 1x history's.
    pub rss_over_1x_kib: i64,
    pub reads: Vec<GrowthRead>,
}

#[derive(Debug, Serialize)]
pub struct GrowthRead {
    pub rpc: Rpc,
    pub label: &'static str,
    pub concurrency: u32,
    pub figures: Figures,
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "ee-bench{}: {} cores, load average {} at start, {} at end; {} s a measurement, median of {}; {:.0} s in all",
            if self.smoke { " --smoke" } else { "" },
            self.machine.cores,
            self.machine.load_average_start,
            self.machine.load_average_end,
            self.duration_seconds,
            self.repeats,
            self.elapsed_seconds
        );
        for b in &self.backends {
            let _ = writeln!(w, "\n== {}", b.backend);
            if !b.unary.is_empty() {
                let _ = writeln!(
                    w,
                    "\n{:<17} {:>4} {:>5} {:>7} {:>10} {:>8} {:>8} {:>10} {:>8} {:>8} {:>6} {:>6}",
                    "unary",
                    "conc",
                    "conns",
                    "bytes",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "base req/s",
                    "base p50",
                    "base p99",
                    "ratio",
                    "target"
                );
                for r in &b.unary {
                    let _ = writeln!(
                        w,
                        "{:<17} {:>4} {:>5} {:>7} {:>10.0} {:>8.3} {:>8.3} {:>10.0} {:>8.3} {:>8.3} {:>6.2} {:>6}",
                        r.label,
                        r.concurrency,
                        r.connections,
                        r.answer_bytes,
                        r.subject.requests_per_second,
                        r.subject.p50_ms,
                        r.subject.p99_ms,
                        r.baseline.requests_per_second,
                        r.baseline.p50_ms,
                        r.baseline.p99_ms,
                        r.ratio,
                        if r.concurrency == 64 {
                            format!(">={}", r.target_ratio)
                        } else {
                            String::new()
                        }
                    );
                }
            }
            fanout_table(w, "fan-out", &b.fanout);
            if let Some(r) = &b.replica {
                let _ = writeln!(
                    w,
                    "\ncross-replica: {} writes on one server, receipt on the other: p50 {:.2} ms, p99 {:.2} ms after the write returned ({:.2} ms and {:.2} ms after it was sent), {} missed",
                    r.writes, r.p50_ms, r.p99_ms, r.from_sent_p50_ms, r.from_sent_p99_ms, r.missed
                );
            }
            if let Some(i) = &b.import {
                let _ = writeln!(
                    w,
                    "\nimport: full feed ({} rounds) into an empty store {:.1} ms, again unchanged {:.1} ms (medians of {:?} and {:?})",
                    i.rounds,
                    i.full_median_ms,
                    i.unchanged_median_ms,
                    rounded(&i.full_ms),
                    rounded(&i.unchanged_ms)
                );
            }
            if !b.growth.is_empty() {
                let _ = writeln!(
                    w,
                    "\n{:<7} {:>7} {:>9} {:>9} {:>10}  reads (req/s, p99 ms)",
                    "growth", "rounds", "load ms", "RSS KiB", "over 1x"
                );
                for g in &b.growth {
                    let reads: Vec<String> = g
                        .reads
                        .iter()
                        .map(|r| {
                            format!(
                                "{} {:.0} {:.2}",
                                r.label, r.figures.requests_per_second, r.figures.p99_ms
                            )
                        })
                        .collect();
                    let _ = writeln!(
                        w,
                        "{:<7} {:>7} {:>9.0} {:>9} {:>10}  {}",
                        format!("{}x", g.factor),
                        g.rounds,
                        g.load_ms,
                        g.rss_kib,
                        g.rss_over_1x_kib,
                        reads.join("; ")
                    );
                }
            }
            fanout_table(w, "growth fan-out", &b.growth_fanout);
        }
        if self.errors.is_empty() {
            let _ = writeln!(w, "\nno RPC error, no missed delivery");
        } else {
            let _ = writeln!(w, "\nERRORS ({}):", self.errors.len());
            for e in &self.errors {
                let _ = writeln!(w, "  {e}");
            }
        }
        out
    }
}

fn fanout_table(w: &mut String, title: &str, rows: &[FanoutRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        w,
        "\n{:<15} {:>7} {:>11} {:>5} {:>6} {:>8} {:>8} {:>6} {:>10} {:>10} {:>9}",
        title,
        "history",
        "subscribers",
        "conns",
        "rounds",
        "p50 ms",
        "p99 ms",
        "missed",
        "idle KiB",
        "subs KiB",
        "KiB/sub"
    );
    for r in rows {
        let _ = writeln!(
            w,
            "{:<15} {:>7} {:>11} {:>5} {:>6} {:>8.2} {:>8.2} {:>6} {:>10} {:>10} {:>9.2}",
            "",
            r.history_rounds,
            r.subscribers,
            r.connections,
            r.rounds,
            r.p50_ms,
            r.p99_ms,
            r.missed,
            r.rss_idle_kib,
            r.rss_subscribed_kib,
            r.kib_per_subscriber
        );
    }
}

fn rounded(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| (x * 10.0).round() / 10.0).collect()
}
