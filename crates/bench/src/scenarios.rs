//! The scenarios, run on one backend at a time: each starts its own servers over a database of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use ee_proto::v1::draw_service_client::DrawServiceClient;
use ee_proto::v1::{ImportFeedRequest, RecordDrawRequest, SubscribeDrawsRequest};
use indicatif::ProgressBar;
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::baseline::pb::baseline_service_client::BaselineServiceClient;
use crate::cli::{RunArgs, Scenario};
use crate::database::{Backend, Database};
use crate::load::{self, Sample, median, percentiles};
use crate::process::{ServerOptions, ServerProcess};
use crate::report::{
    BackendReport, FanoutRow, Figures, GrowthRead, GrowthRow, ImportFigures, ReplicaFigures,
    UnaryRow,
};
use crate::workload::{self, Clients, Inputs, MAX_MESSAGE, Rpc};

/// Subscribers are spread over this many connections (fewer when there are fewer subscribers).
const SUBSCRIBER_CONNECTIONS: u32 = 100;
/// How long a subscriber may take to receive a round before it counts as missed.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Rounds of the shipped history.
const HISTORY: usize = 435;
/// Copies of the shipped rounds imported in one ImportFeed while the history grows (about 7 MB of JSON).
const COPIES_PER_IMPORT: u32 = 10;

pub struct Bench {
    pub args: RunArgs,
    pub server: PathBuf,
    pub progress: ProgressBar,
    pub errors: Vec<String>,
    /// Numbers of recorded rounds, so that no two measurements record the same round.
    next_round: u32,
}

impl Bench {
    pub fn new(args: RunArgs, server: PathBuf, progress: ProgressBar) -> Self {
        Self {
            args,
            server,
            progress,
            errors: Vec::new(),
            next_round: 0,
        }
    }

    /// The unary RPCs to measure: `--rpc`, or all.
    fn rpcs(&self) -> Vec<Rpc> {
        if self.args.rpc.is_empty() {
            Rpc::ALL.to_vec()
        } else {
            Rpc::ALL
                .into_iter()
                .filter(|r| self.args.rpc.contains(r))
                .collect()
        }
    }

    /// Progress steps of one backend, for the bar's length.
    pub fn steps(&self, backend: Backend) -> u64 {
        let a = &self.args;
        let mut steps = 0;
        for s in &a.scenario {
            steps += match s {
                Scenario::Unary => {
                    u64::from(a.repeats) * a.concurrency.len() as u64 * self.rpcs().len() as u64 * 2
                }
                Scenario::Fanout => a.subscribers.len() as u64,
                Scenario::Replica => u64::from(backend == Backend::Postgres),
                Scenario::Import => u64::from(a.repeats),
                Scenario::Growth => (a.growth.len() as u64 + 1) + a.growth_subscribers.len() as u64,
            };
        }
        steps
    }

    pub async fn run_backend(&mut self, backend: Backend) -> anyhow::Result<BackendReport> {
        let mut report = BackendReport {
            backend,
            unary: Vec::new(),
            fanout: Vec::new(),
            replica: None,
            import: None,
            growth: Vec::new(),
            growth_fanout: Vec::new(),
        };
        let mut scenarios = self.args.scenario.clone();
        scenarios.sort();
        scenarios.dedup();
        for scenario in scenarios {
            match scenario {
                // A store of its own for each repeat.
                Scenario::Import => {
                    report.import = Some(
                        self.import(backend)
                            .await
                            .with_context(|| format!("{scenario:?} on {backend}"))?,
                    );
                    continue;
                }
                Scenario::Replica if backend != Backend::Postgres => continue,
                _ => {}
            }
            let db = Database::create(backend, self.args.postgres_url.as_deref()).await?;
            let outcome = match scenario {
                Scenario::Unary => self.unary(backend, &db).await.map(|r| report.unary = r),
                Scenario::Fanout => self.fanout(backend, &db).await.map(|r| report.fanout = r),
                Scenario::Replica => self.replica(&db).await.map(|r| report.replica = Some(r)),
                Scenario::Growth => self.growth(backend, &db).await.map(|(g, f)| {
                    report.growth = g;
                    report.growth_fanout = f;
                }),
                Scenario::Import => Ok(()),
            };
            let removed = db.remove().await;
            outcome.with_context(|| format!("{scenario:?} on {backend}"))?;
            removed?;
        }
        Ok(report)
    }

    fn options(&self, db: &Database, load_snapshot: bool, extra: Vec<String>) -> ServerOptions {
        ServerOptions {
            database_url: db.url().to_owned(),
            load_snapshot,
            extra,
            rust_log: self.args.server_log.clone(),
        }
    }

    fn error(&mut self, what: String) {
        self.progress.println(format!("error: {what}"));
        self.errors.push(what);
    }

    fn note_sample(&mut self, what: &str, sample: &Sample) {
        if sample.errors > 0 {
            self.error(format!(
                "{what}: {} RPC errors, the first {}",
                sample.errors,
                sample.first_error.as_deref().unwrap_or("unknown")
            ));
        } else if sample.calls == 0 {
            self.error(format!("{what}: no call completed"));
        }
    }

    async fn unary(&mut self, backend: Backend, db: &Database) -> anyhow::Result<Vec<UnaryRow>> {
        let mut server =
            ServerProcess::subject(&self.server, &self.options(db, true, vec![])).await?;
        let baseline = ServerProcess::baseline().await?;
        let connections = self.args.connections as usize;
        let mut channels = Vec::new();
        let mut baseline_channels = Vec::new();
        for _ in 0..connections {
            channels.push(server.channel().await?);
            baseline_channels.push(baseline.channel().await?);
        }
        let inputs = Arc::new(Inputs::new(
            &workload::feed_numbers()?,
            &workload::candidate(),
        ));
        // The size of each answer, over the rounds for those that depend on the round; the baseline keeps the
        // subject's answer (the one closest to the mean size) and answers it to every call.
        let rpcs = self.rpcs();
        let all = Clients::new(&channels);
        let keeper = BaselineServiceClient::new(baseline_channels[0].clone())
            .max_encoding_message_size(workload::MAX_MESSAGE);
        let mut sizes = Vec::new();
        for (r, &rpc) in rpcs.iter().enumerate() {
            let calls = if matches!(rpc, Rpc::GetDraw | Rpc::CheckInvitation) {
                inputs.rounds()
            } else {
                1
            };
            let mut answers = Vec::with_capacity(calls);
            for n in 0..calls {
                let answer = workload::call(rpc, &all, &inputs, 0, n as u64)
                    .await
                    .with_context(|| format!("{} on {backend}", rpc.label()))?;
                answers.push(answer.encode_to_vec());
            }
            let mean = answers.iter().map(Vec::len).sum::<usize>() / calls;
            let typical = answers
                .into_iter()
                .min_by_key(|a| a.len().abs_diff(mean))
                .unwrap_or_default();
            workload::keep_in_baseline(&keeper, r as u32, typical)
                .await
                .context("the baseline does not keep an answer")?;
            sizes.push(mean);
        }
        let mut samples: Vec<Vec<(Sample, Sample)>> =
            vec![Vec::new(); self.args.concurrency.len() * rpcs.len()];
        let concurrencies = self.args.concurrency.clone();
        for repeat in 0..self.args.repeats {
            for (c, &concurrency) in concurrencies.iter().enumerate() {
                let used = connections.min(concurrency as usize);
                let clients = Arc::new(Clients::new(&channels[..used]));
                let baseline_clients: Arc<Vec<BaselineServiceClient<Channel>>> = Arc::new(
                    baseline_channels[..used]
                        .iter()
                        .map(|ch| BaselineServiceClient::new(ch.clone()))
                        .collect(),
                );
                for (r, &rpc) in rpcs.iter().enumerate() {
                    self.progress.set_message(format!(
                        "{backend}: {} at {concurrency}, repeat {}",
                        rpc.label(),
                        repeat + 1
                    ));
                    let duration = self.args.duration;
                    let subject = || {
                        let (clients, inputs) = (clients.clone(), inputs.clone());
                        load::run(concurrency as usize, duration, move |w, n| {
                            let (clients, inputs) = (clients.clone(), inputs.clone());
                            async move { workload::call(rpc, &clients, &inputs, w, n).await.map(drop) }
                        })
                    };
                    let base = || {
                        let clients = baseline_clients.clone();
                        load::run(concurrency as usize, duration, move |w, _| {
                            let clients = clients.clone();
                            async move { workload::call_baseline(&clients, w, rpc, r as u32).await }
                        })
                    };
                    // Alternate which goes first, so that a drift of the machine's load falls on both.
                    let (s, b) = if repeat % 2 == 0 {
                        let b = base().await;
                        (subject().await, b)
                    } else {
                        let s = subject().await;
                        (s, base().await)
                    };
                    self.progress.inc(2);
                    self.note_sample(&format!("{backend} {} at {concurrency}", rpc.label()), &s);
                    self.note_sample(
                        &format!("{backend} baseline for {} at {concurrency}", rpc.label()),
                        &b,
                    );
                    samples[c * rpcs.len() + r].push((s, b));
                }
            }
            server.check_alive()?;
        }
        let mut rows = Vec::new();
        for (c, &concurrency) in self.args.concurrency.iter().enumerate() {
            for (r, &rpc) in rpcs.iter().enumerate() {
                let pairs = &samples[c * rpcs.len() + r];
                let subject = figures(pairs.iter().map(|p| p.0.clone()).collect());
                let baseline = figures(pairs.iter().map(|p| p.1.clone()).collect());
                rows.push(UnaryRow {
                    rpc,
                    label: rpc.label(),
                    concurrency,
                    connections: self.args.connections.min(concurrency),
                    answer_bytes: sizes[r],
                    ratio: ratio(subject.requests_per_second, baseline.requests_per_second),
                    subject,
                    baseline,
                    target_ratio: rpc.target_ratio(),
                });
            }
        }
        Ok(rows)
    }

    /// Flags that let the server take `subscribers` streams over [`SUBSCRIBER_CONNECTIONS`] connections (the
    /// defaults are 20,000 a process and 1,000 a connection).
    fn subscriber_flags(subscribers: u32) -> Vec<String> {
        let mut flags = Vec::new();
        if subscribers >= 20_000 {
            flags.extend([
                "--max-subscribers".into(),
                (subscribers + 1_000).to_string(),
            ]);
        }
        let per_connection = subscribers.div_ceil(SUBSCRIBER_CONNECTIONS);
        if per_connection > 1_000 {
            flags.extend([
                "--max-subscriptions-per-connection".into(),
                per_connection.to_string(),
            ]);
        }
        flags
    }

    async fn fanout(&mut self, backend: Backend, db: &Database) -> anyhow::Result<Vec<FanoutRow>> {
        let mut rows = Vec::new();
        for n in self.args.subscribers.clone() {
            self.progress
                .set_message(format!("{backend}: fan-out to {n} subscribers"));
            let flags = Self::subscriber_flags(n);
            // A server of its own for each count, so that its idle memory is not what the last count left.
            let mut server =
                ServerProcess::subject(&self.server, &self.options(db, true, flags.clone()))
                    .await?;
            let history = HISTORY + self.next_round as usize;
            let row = self.fanout_at(&server, n, history, flags).await?;
            server.check_alive()?;
            rows.push(row);
            self.progress.inc(1);
        }
        Ok(rows)
    }

    /// `n` subscribers on `server`, then `--rounds` rounds recorded one after the other, each waited for at
    /// every subscriber.
    async fn fanout_at(
        &mut self,
        server: &ServerProcess,
        n: u32,
        history_rounds: usize,
        server_flags: Vec<String>,
    ) -> anyhow::Result<FanoutRow> {
        let rounds = self.args.rounds;
        let first = self.take_rounds(rounds);
        let idle = server.settled_rss_kib().await?;
        let connections = SUBSCRIBER_CONNECTIONS.min(n);
        let subscribers = Subscribers::open(server, n, connections, first, rounds).await?;
        let subscribed = server.settled_rss_kib().await?;
        let mut writer = DrawServiceClient::new(server.channel().await?);
        let mut latencies = Vec::with_capacity(n as usize * rounds as usize);
        let mut missed = 0;
        for k in 0..rounds {
            let number = first + k;
            writer
                .record_draw(workload::authorized(RecordDrawRequest {
                    draw: Some(workload::new_round(number, number)),
                })?)
                .await
                .with_context(|| format!("RecordDraw of round {number}"))?;
            let returned = Instant::now();
            let got = subscribers.wait(k, n, returned + DELIVERY_TIMEOUT).await;
            missed += u64::from(n) - got.len() as u64;
            latencies.extend(got.iter().map(|t| t.saturating_duration_since(returned)));
        }
        let stream_errors = subscribers.close();
        if missed > 0 {
            self.error(format!(
                "fan-out to {n}: {missed} deliveries missed within {} s",
                DELIVERY_TIMEOUT.as_secs()
            ));
        }
        if stream_errors > 0 {
            self.error(format!(
                "fan-out to {n}: {stream_errors} streams ended with an error"
            ));
        }
        let (p50, p99) = percentiles(&mut latencies);
        Ok(FanoutRow {
            history_rounds,
            subscribers: n,
            connections,
            rounds,
            p50_ms: p50,
            p99_ms: p99,
            missed,
            rss_idle_kib: idle,
            rss_subscribed_kib: subscribed,
            kib_per_subscriber: subscribed.saturating_sub(idle) as f64 / f64::from(n),
            server_flags,
        })
    }

    /// `count` round numbers no measurement has recorded: from 900,000 on, beyond the synthetic copies.
    fn take_rounds(&mut self, count: u32) -> u32 {
        let first = 900_000 + self.next_round;
        self.next_round += count;
        first
    }

    async fn replica(&mut self, db: &Database) -> anyhow::Result<ReplicaFigures> {
        self.progress
            .set_message("PostgreSQL: cross-replica delivery");
        let mut writer_server =
            ServerProcess::subject(&self.server, &self.options(db, true, vec![])).await?;
        let mut reader_server =
            ServerProcess::subject(&self.server, &self.options(db, true, vec![])).await?;
        let writes = self.args.replica_writes;
        let first = self.take_rounds(writes);
        let subscribers = Subscribers::open(&reader_server, 1, 1, first, writes).await?;
        let mut writer = DrawServiceClient::new(writer_server.channel().await?);
        let mut latencies = Vec::new();
        let mut from_sent = Vec::new();
        let mut missed = 0;
        for k in 0..writes {
            let number = first + k;
            let sent = Instant::now();
            writer
                .record_draw(workload::authorized(RecordDrawRequest {
                    draw: Some(workload::new_round(number, number)),
                })?)
                .await
                .with_context(|| format!("RecordDraw of round {number}"))?;
            let returned = Instant::now();
            let got = subscribers.wait(k, 1, returned + DELIVERY_TIMEOUT).await;
            missed += 1 - got.len() as u64;
            latencies.extend(got.iter().map(|t| t.saturating_duration_since(returned)));
            from_sent.extend(got.iter().map(|t| t.saturating_duration_since(sent)));
        }
        let stream_errors = subscribers.close();
        if missed > 0 || stream_errors > 0 {
            self.error(format!(
                "cross-replica: {missed} of {writes} rounds missed, {stream_errors} stream errors"
            ));
        }
        writer_server.check_alive()?;
        reader_server.check_alive()?;
        self.progress.inc(1);
        let (p50, p99) = percentiles(&mut latencies);
        let (sent_p50, sent_p99) = percentiles(&mut from_sent);
        Ok(ReplicaFigures {
            writes,
            p50_ms: p50,
            p99_ms: p99,
            from_sent_p50_ms: sent_p50,
            from_sent_p99_ms: sent_p99,
            missed,
        })
    }

    async fn import(&mut self, backend: Backend) -> anyhow::Result<ImportFigures> {
        let mut full = Vec::new();
        let mut unchanged = Vec::new();
        let rounds = workload::feed_numbers()?.len() as u32;
        for repeat in 0..self.args.repeats {
            self.progress
                .set_message(format!("{backend}: import, repeat {}", repeat + 1));
            // An empty store each time: a database of its own, and no history loaded at start.
            let db = Database::create(backend, self.args.postgres_url.as_deref()).await?;
            let outcome = async {
                let mut server =
                    ServerProcess::subject(&self.server, &self.options(&db, false, vec![])).await?;
                let mut client = DrawServiceClient::new(server.channel().await?);
                let (ms, first) = import_once(&mut client).await?;
                anyhow::ensure!(
                    first.created == rounds && first.updated == 0,
                    "the full feed into an empty store created {} and updated {} rounds, not {rounds} and 0",
                    first.created,
                    first.updated
                );
                let (again_ms, again) = import_once(&mut client).await?;
                anyhow::ensure!(
                    again.created == 0 && again.updated == 0 && again.unchanged == rounds,
                    "the unchanged feed created {}, updated {} and left {} rounds unchanged, not 0, 0 and {rounds}",
                    again.created,
                    again.updated,
                    again.unchanged
                );
                server.check_alive()?;
                anyhow::Ok((ms, again_ms))
            }
            .await;
            db.remove().await?;
            let (ms, again_ms) = outcome?;
            full.push(ms);
            unchanged.push(again_ms);
            self.progress.inc(1);
        }
        Ok(ImportFigures {
            rounds,
            full_median_ms: median(full.clone()),
            full_ms: full,
            unchanged_median_ms: median(unchanged.clone()),
            unchanged_ms: unchanged,
        })
    }

    async fn growth(
        &mut self,
        backend: Backend,
        db: &Database,
    ) -> anyhow::Result<(Vec<GrowthRow>, Vec<FanoutRow>)> {
        let most_subscribers = self
            .args
            .growth_subscribers
            .iter()
            .copied()
            .max()
            .unwrap_or(0);
        let mut flags = Self::subscriber_flags(most_subscribers);
        flags.extend(["--max-request-bytes".into(), (64 * 1024 * 1024).to_string()]);
        let mut server =
            ServerProcess::subject(&self.server, &self.options(db, true, flags.clone())).await?;
        let concurrency = self.args.concurrency.iter().copied().max().unwrap_or(1);
        let connections = (self.args.connections.min(concurrency)) as usize;
        let mut channels = Vec::new();
        for _ in 0..connections {
            channels.push(server.channel().await?);
        }
        let clients = Arc::new(Clients::new(&channels));
        let mut numbers = workload::feed_numbers()?;
        let mut factors = self.args.growth.clone();
        factors.sort_unstable();
        factors.dedup();
        let selected = self.rpcs();
        let measured: Vec<Rpc> = Rpc::READS
            .into_iter()
            .filter(|r| selected.contains(r))
            .collect();
        let mut rows = Vec::new();
        let mut copies = 1;
        let mut rss_1x = 0;
        for factor in std::iter::once(1).chain(factors) {
            self.progress
                .set_message(format!("{backend}: history at {factor}x"));
            let started = Instant::now();
            let mut importer = DrawServiceClient::new(channels[0].clone())
                .max_encoding_message_size(MAX_MESSAGE)
                .max_decoding_message_size(MAX_MESSAGE);
            while copies < factor {
                let upto = factor.min(copies + COPIES_PER_IMPORT);
                let (feed, added) = workload::synthetic_feed(copies..upto)?;
                let answer = importer
                    .import_feed(workload::authorized(ImportFeedRequest { feed_json: feed })?)
                    .await
                    .with_context(|| format!("ImportFeed of copies {copies} to {}", upto - 1))?
                    .into_inner();
                anyhow::ensure!(
                    answer.created as usize == added.len(),
                    "ImportFeed of {} synthetic rounds created {}",
                    added.len(),
                    answer.created
                );
                numbers.extend(added);
                copies = upto;
            }
            let load_ms = started.elapsed().as_secs_f64() * 1e3;
            let rss = server.settled_rss_kib().await?;
            if factor == 1 {
                rss_1x = rss;
            }
            let inputs = Arc::new(Inputs::new(&numbers, &workload::candidate()));
            let mut reads = Vec::new();
            for &rpc in &measured {
                let mut samples = Vec::new();
                for _ in 0..self.args.repeats {
                    let (clients, inputs) = (clients.clone(), inputs.clone());
                    let sample = load::run(concurrency as usize, self.args.duration, move |w, n| {
                        let (clients, inputs) = (clients.clone(), inputs.clone());
                        async move { workload::call(rpc, &clients, &inputs, w, n).await.map(drop) }
                    })
                    .await;
                    self.note_sample(
                        &format!("{backend} {} at {factor}x history", rpc.label()),
                        &sample,
                    );
                    samples.push(sample);
                }
                reads.push(GrowthRead {
                    rpc,
                    label: rpc.label(),
                    concurrency,
                    figures: figures(samples),
                });
            }
            server.check_alive()?;
            rows.push(GrowthRow {
                factor,
                rounds: numbers.len(),
                load_ms,
                rss_kib: rss,
                rss_over_1x_kib: rss as i64 - rss_1x as i64,
                reads,
            });
            self.progress.inc(1);
        }
        drop(clients);
        drop(channels);
        let mut fanout = Vec::new();
        for n in self.args.growth_subscribers.clone() {
            self.progress.set_message(format!(
                "{backend}: fan-out to {n} subscribers over {} rounds",
                numbers.len()
            ));
            let history = numbers.len() + self.next_round as usize;
            fanout.push(self.fanout_at(&server, n, history, flags.clone()).await?);
            server.check_alive()?;
            self.progress.inc(1);
        }
        Ok((rows, fanout))
    }
}

/// ImportFeed of the shipped feed: how long it took (ms) and what it did.
async fn import_once(
    client: &mut DrawServiceClient<Channel>,
) -> anyhow::Result<(f64, ee_proto::v1::ImportFeedResponse)> {
    let request = workload::authorized(ImportFeedRequest {
        feed_json: workload::FEED.to_vec(),
    })?;
    let started = Instant::now();
    let answer = client.import_feed(request).await.context("ImportFeed")?;
    Ok((started.elapsed().as_secs_f64() * 1e3, answer.into_inner()))
}

/// Medians of the repeats.
fn figures(samples: Vec<Sample>) -> Figures {
    Figures {
        requests_per_second: median(samples.iter().map(|s| s.requests_per_second).collect()),
        p50_ms: median(samples.iter().map(|s| s.p50_ms).collect()),
        p99_ms: median(samples.iter().map(|s| s.p99_ms).collect()),
        samples,
    }
}

fn ratio(subject: f64, baseline: f64) -> f64 {
    if baseline > 0.0 {
        subject / baseline
    } else {
        0.0
    }
}

/// Subscribers of the live rounds, each logging when it receives each of the rounds numbered `first..first+rounds`.
struct Subscribers {
    receipts: Arc<Vec<std::sync::Mutex<Vec<Instant>>>>,
    errors: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Subscribers {
    async fn open(
        server: &ServerProcess,
        n: u32,
        connections: u32,
        first: u32,
        rounds: u32,
    ) -> anyhow::Result<Self> {
        let receipts: Arc<Vec<std::sync::Mutex<Vec<Instant>>>> = Arc::new(
            (0..rounds)
                .map(|_| std::sync::Mutex::new(Vec::with_capacity(n as usize)))
                .collect(),
        );
        let errors = Arc::new(AtomicU64::new(0));
        let mut openers = Vec::new();
        for c in 0..connections {
            let share = n / connections + u32::from(c < n % connections);
            let client = DrawServiceClient::new(server.channel().await?);
            let (receipts, errors) = (receipts.clone(), errors.clone());
            // Each connection opens its share one after the other; the connections in parallel.
            openers.push(tokio::spawn(async move {
                let mut readers = Vec::with_capacity(share as usize);
                for _ in 0..share {
                    let mut stream = client
                        .clone()
                        .subscribe_draws(SubscribeDrawsRequest::default())
                        .await?
                        .into_inner();
                    let (receipts, errors) = (receipts.clone(), errors.clone());
                    readers.push(tokio::spawn(async move {
                        while let Some(item) = stream.next().await {
                            let Ok(message) = item else {
                                errors.fetch_add(1, Ordering::Relaxed);
                                return;
                            };
                            let at = Instant::now();
                            let k = message
                                .event
                                .and_then(|e| e.draw)
                                .and_then(|d| d.number.parse::<u32>().ok())
                                .and_then(|number| number.checked_sub(first))
                                .filter(|k| *k < rounds);
                            if let Some(k) = k
                                && let Ok(mut got) = receipts[k as usize].lock()
                            {
                                got.push(at);
                            }
                        }
                    }));
                }
                Ok::<_, tonic::Status>(readers)
            }));
        }
        let mut tasks = Vec::with_capacity(n as usize);
        let mut failure = None;
        for opener in openers {
            match opener.await {
                Ok(Ok(readers)) => tasks.extend(readers),
                Ok(Err(status)) => failure = Some(format!("SubscribeDraws: {status}")),
                Err(e) => failure = Some(format!("a subscriber task failed: {e}")),
            }
        }
        let subscribers = Self {
            receipts,
            errors,
            tasks,
        };
        if let Some(failure) = failure {
            subscribers.close();
            anyhow::bail!("{failure}");
        }
        Ok(subscribers)
    }

    /// The receipts of round `k`, once all `n` have it or at `deadline`.
    async fn wait(&self, k: u32, n: u32, deadline: Instant) -> Vec<Instant> {
        loop {
            let done = Instant::now() >= deadline;
            if let Ok(got) = self.receipts[k as usize].lock()
                && (got.len() >= n as usize || done)
            {
                return got.clone();
            }
            if done {
                return Vec::new();
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Ends every stream; answers how many had ended with an error.
    fn close(self) -> u64 {
        for task in &self.tasks {
            task.abort();
        }
        self.errors.load(Ordering::Relaxed)
    }
}
