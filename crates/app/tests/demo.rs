//! The demo company: deterministic for a seed, imports cleanly, and carries the patterns it claims.

use uplift_app::demo::{DemoConfig, create_demo, write_demo_files};
use uplift_domain::Month;
use uplift_store::MetricFilter;

use crate::support::*;
use uplift_testkit::test_db;

fn cfg(seed: u64) -> DemoConfig {
    DemoConfig {
        seed,
        staff: 30,
        months: 6,
        end: Month::new(2026, 6),
    }
}

#[test]
fn same_seed_same_company() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write_demo_files(&cfg(7), a.path()).unwrap();
    write_demo_files(&cfg(7), b.path()).unwrap();
    write_demo_files(&cfg(8), c.path()).unwrap();
    for f in [
        "User.csv",
        "Lead.csv",
        "Opportunity.csv",
        "Task.csv",
        "Event.csv",
        "targets.csv",
        "enrollments.csv",
        "appraisals.csv",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs for the same seed"
        );
        if f == "Lead.csv" {
            assert_ne!(
                x,
                std::fs::read(c.path().join(f)).unwrap(),
                "another seed, another company"
            );
        }
    }
}

#[tokio::test]
async fn demo_imports_and_has_the_patterns_it_promises() {
    let db = test_db().await;
    let src = db.dir().join("demo-source");
    let s = create_demo(&db.store, &cfg(2026), &src, &no_progress)
        .await
        .expect("demo");
    assert!(s.employees >= 30 && s.departments >= 5, "{s:?}");
    assert!(s.leavers > 0 && s.joiners > 0, "joiners and leavers: {s:?}");
    assert!(s.leads > 1000 && s.opportunities > 100 && s.activities > 3000, "{s:?}");
    assert_eq!(
        (s.from, s.to),
        (Month::new(2026, 1).unwrap(), Month::new(2026, 6).unwrap())
    );
    assert!(s.last_per_capita.is_some_and(|p| p > 0.0));
    // The roster came from XLSX with free attributes; targets from a GBK CSV.
    assert!(
        std::fs::read(src.join("targets.csv"))
            .map(|b| std::str::from_utf8(&b).is_err())
            .unwrap()
    );
    let rows = db.store.employee_metrics(&MetricFilter::default()).await.unwrap();
    assert!(rows.iter().any(|r| r.metrics.quota_attainment.is_some()));
    assert!(rows.iter().any(|r| r.metrics.training_completion_rate.is_some()));
    assert!(rows.iter().any(|r| r.metrics.appraisal_score.is_some()));
    // Reps who contact leads within 24h convert better (pooled over employee-months).
    let (mut fast, mut slow) = ((0.0, 0.0), (0.0, 0.0));
    for r in &rows {
        let m = &r.metrics;
        if m.leads_received < 5 {
            continue;
        }
        let bucket = if m.contacted_within_24h_rate.unwrap_or(0.0) >= 0.85 {
            &mut fast
        } else {
            &mut slow
        };
        bucket.0 += m.leads_converted as f64;
        bucket.1 += m.leads_received as f64;
    }
    assert!(fast.1 > 0.0 && slow.1 > 0.0);
    assert!(
        fast.0 / fast.1 > slow.0 / slow.1,
        "fast responders convert better: {:.3} vs {:.3}",
        fast.0 / fast.1,
        slow.0 / slow.1
    );
}
