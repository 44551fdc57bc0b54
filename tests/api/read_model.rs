//! Reads come from the history in memory: a write returns only once its replica's reads show it (read-your-writes),
//! another replica shows it within the delivery latency, and page tokens work on any replica.

use ee_proto::v1::{
    GetDrawRequest, GetDrawStatsRequest, GetLatestDrawRequest, ListDrawsRequest, RecordDrawRequest,
};
use ee_test_support::fixtures::{after_the_history, general, round};
use ee_test_support::{Backend, TestApp, authorized, on_both_backends};

async fn every_read_shows_a_write_as_soon_as_it_returns(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut client = app.draws().await;
    for k in 0..20u32 {
        let number = (7000 + k).to_string();
        client
            .record_draw(authorized(RecordDrawRequest {
                draw: Some(round(number.clone(), general(), after_the_history(k))),
            }))
            .await
            .expect("RecordDraw");
        // No wait: the write returned, so this replica's reads show it.
        let got = client
            .get_draw(GetDrawRequest {
                number: number.clone(),
            })
            .await
            .expect("GetDraw of the round just written")
            .into_inner();
        assert_eq!(got.draw.map(|d| d.number), Some(number.clone()));
        let latest = client
            .get_latest_draw(GetLatestDrawRequest::default())
            .await
            .expect("GetLatestDraw")
            .into_inner();
        assert_eq!(latest.draw.map(|d| d.number), Some(number.clone()));
        let page = client
            .list_draws(ListDrawsRequest {
                page_size: 1,
                ..Default::default()
            })
            .await
            .expect("ListDraws")
            .into_inner();
        assert_eq!(page.total_size, 435 + 1 + k as i32);
        assert_eq!(page.draws[0].number, number);
        let stats = client
            .get_draw_stats(GetDrawStatsRequest::default())
            .await
            .expect("GetDrawStats")
            .into_inner();
        assert_eq!(stats.draw_count, 435 + 1 + k);
    }
}

on_both_backends!(every_read_shows_a_write_as_soon_as_it_returns);

#[cfg(postgres_tests)]
mod replicas {
    use std::time::{Duration, Instant};

    use ee_proto::v1::{GetDrawRequest, ListDrawsRequest, RecordDrawRequest};
    use ee_test_support::app::no_backstop;
    use ee_test_support::fixtures::{after_the_history, general, round};
    use ee_test_support::streams::PATIENCE;
    use ee_test_support::{Backend, TestApp, authorized};
    use tonic::Code;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_on_one_replica_is_read_on_another_and_page_tokens_work_on_both() {
        let a = TestApp::spawn_with(Backend::Postgres, no_backstop).await;
        let b = a.replica(no_backstop).await;
        let (mut on_a, mut on_b) = (a.draws().await, b.draws().await);
        on_a.record_draw(authorized(RecordDrawRequest {
            draw: Some(round("7100", general(), after_the_history(1))),
        }))
        .await
        .expect("RecordDraw on A");
        // Only the PostgreSQL listener tells B (the backstop timer is off): B shows it within the delivery latency.
        let deadline = Instant::now() + PATIENCE;
        loop {
            match on_b
                .get_draw(GetDrawRequest {
                    number: "7100".into(),
                })
                .await
            {
                Ok(_) => break,
                Err(s) if s.code() == Code::NotFound && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(s) => panic!("B never showed the round written on A: {s:?}"),
            }
        }
        // A token made by A continues on B, and gives what A gives.
        let first = on_a
            .list_draws(ListDrawsRequest {
                page_size: 10,
                ..Default::default()
            })
            .await
            .expect("first page on A")
            .into_inner();
        assert_eq!(first.draws[0].number, "7100");
        let next = |token: String| ListDrawsRequest {
            page_size: 10,
            page_token: token,
            ..Default::default()
        };
        let from_a = on_a
            .list_draws(next(first.next_page_token.clone()))
            .await
            .expect("second page on A")
            .into_inner();
        let from_b = on_b
            .list_draws(next(first.next_page_token))
            .await
            .expect("second page on B, with A's token")
            .into_inner();
        assert_eq!(from_a, from_b);
        assert_eq!(from_a.draws.len(), 10);
    }
}
