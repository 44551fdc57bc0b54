//! The names of this crate's metrics, recorded through the `metrics` facade where each fact is known (the live
//! events in `live.rs`, feed polls in `watcher.rs`, writes in `recorder.rs`); the server exports them.

/// Gauge: SubscribeDraws streams open on this process.
pub const SUBSCRIBERS: &str = "ee_live_subscribers";
/// Counter: events the pump read from the event log and broadcast to this process's subscribers.
pub const EVENTS_PUBLISHED: &str = "ee_live_events_published_total";
/// Counter: events handed to subscribers' streams (one per subscriber that selected the event).
pub const EVENTS_DELIVERED: &str = "ee_live_events_delivered_total";
/// Histogram: for each event handed to a subscriber, how many events this process had published after it.
pub const SUBSCRIBER_LAG: &str = "ee_live_subscriber_lag_events";
/// Counter, by `outcome` (`imported`, `unchanged`, `not_leader`, `failed`): polls of IRCC's feed.
pub const FEED_POLLS: &str = "ee_feed_polls_total";
/// Counter, by `change` (`created`, `updated`): rounds written by feed imports (ImportFeed, the feed watcher, the
/// shipped snapshot), RecordDraw and the relabelling at start.
pub const ROUNDS_WRITTEN: &str = "ee_rounds_written_total";

/// Gauge: rounds in the history in memory (the read model).
pub const READ_MODEL_ROUNDS: &str = "ee_read_model_rounds";
/// Gauge: the id of the last event the read model shows.
pub const READ_MODEL_EVENT_ID: &str = "ee_read_model_event_id";
/// Gauge, set by the server's database check: events the log held at the check that the read model did not show.
pub const READ_MODEL_BEHIND: &str = "ee_read_model_behind_events";
/// Gauge, set by the server's database check: seconds since the read model was last seen showing every event the
/// log held (0 while it keeps up). Readiness turns NOT_SERVING when it stays behind from one check to the next.
pub const READ_MODEL_AGE: &str = "ee_read_model_age_seconds";

pub(crate) const POLL_OUTCOMES: [&str; 4] = ["imported", "unchanged", "not_leader", "failed"];

/// Describes this crate's metrics and exports its counters at 0.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(SUBSCRIBERS, "SubscribeDraws streams open");
    describe_counter!(
        EVENTS_PUBLISHED,
        "Events read from the event log and broadcast to subscribers"
    );
    describe_counter!(EVENTS_DELIVERED, "Events handed to subscribers' streams");
    describe_histogram!(
        SUBSCRIBER_LAG,
        "Events published after the one handed to a subscriber, at the time it was handed on"
    );
    describe_counter!(FEED_POLLS, "Polls of IRCC's feed, by outcome");
    describe_counter!(ROUNDS_WRITTEN, "Rounds created or updated, by change");
    describe_gauge!(READ_MODEL_ROUNDS, "Rounds in the history in memory");
    describe_gauge!(
        READ_MODEL_EVENT_ID,
        "The id of the last event the history in memory shows"
    );
    describe_gauge!(
        READ_MODEL_BEHIND,
        "Events logged that the history in memory did not show, at the last database check"
    );
    describe_gauge!(
        READ_MODEL_AGE,
        "Seconds since the history in memory last showed every event logged (0 while it keeps up)"
    );
    metrics::gauge!(READ_MODEL_BEHIND).set(0.0);
    metrics::gauge!(READ_MODEL_AGE).set(0.0);
    metrics::gauge!(SUBSCRIBERS).set(0.0);
    metrics::counter!(EVENTS_PUBLISHED).absolute(0);
    metrics::counter!(EVENTS_DELIVERED).absolute(0);
    for outcome in POLL_OUTCOMES {
        metrics::counter!(FEED_POLLS, "outcome" => outcome).absolute(0);
    }
    for change in ["created", "updated"] {
        metrics::counter!(ROUNDS_WRITTEN, "change" => change).absolute(0);
    }
}
