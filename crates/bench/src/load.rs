//! The load generator: a fixed number of requests in flight for a while, each worker sending its next request as
//! soon as the last one is answered (closed loop), with every latency kept (a sorted vector, not a histogram).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One measurement.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Sample {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub calls: u64,
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

/// Runs `call(worker, n)` from `concurrency` workers for `duration` after a warm-up of a fifth of it.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Sample
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let call = Arc::new(call);
    let measure_from = Instant::now() + duration / 5;
    let until = measure_from + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut first_error = None;
                let mut n = worker as u64;
                loop {
                    let start = Instant::now();
                    if start >= until {
                        break;
                    }
                    let answer = call(worker, n).await;
                    n += concurrency as u64;
                    if let Err(status) = answer {
                        errors += 1;
                        first_error.get_or_insert_with(|| {
                            format!("{:?}: {}", status.code(), status.message())
                        });
                        continue;
                    }
                    if start >= measure_from {
                        latencies.push(start.elapsed());
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut sample = Sample::default();
    for worker in workers {
        match worker.await {
            Ok((mine, errors, first_error)) => {
                latencies.extend(mine);
                sample.errors += errors;
                if sample.first_error.is_none() {
                    sample.first_error = first_error;
                }
            }
            Err(e) => {
                sample.errors += 1;
                sample
                    .first_error
                    .get_or_insert_with(|| format!("a worker failed: {e}"));
            }
        }
    }
    let window = measure_from.elapsed().as_secs_f64();
    sample.calls = latencies.len() as u64;
    sample.requests_per_second = latencies.len() as f64 / window;
    let (p50, p99) = percentiles(&mut latencies);
    sample.p50_ms = p50;
    sample.p99_ms = p99;
    sample
}

/// p50 and p99 in milliseconds (0 for no values).
pub fn percentiles(values: &mut [Duration]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_unstable();
    let at = |p: usize| values[(values.len() * p / 100).min(values.len() - 1)].as_secs_f64() * 1e3;
    (at(50), at(99))
}

/// The median of the figures (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_medians() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(percentiles(&mut v), (51.0, 100.0));
        assert_eq!(percentiles(&mut []), (0.0, 0.0));
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![]), 0.0);
    }
}
