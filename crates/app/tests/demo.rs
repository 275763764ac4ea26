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

/// The demo plants "fast first contact and a follow-up habit raise conversion"; the driver analysis
/// must find both, positive, near the top, on the full-size demo company (95 staff, 12 months).
#[tokio::test]
async fn driver_analysis_finds_the_demo_companys_planted_drivers() {
    use uplift_app::insights::{DriversQuery, drivers};
    use uplift_domain::Lang;
    use uplift_domain::access::Scope;
    let db = test_db().await;
    let cfg = DemoConfig {
        seed: 2026,
        staff: 96,
        months: 12,
        end: Month::new(2026, 10),
    };
    create_demo(&db.store, &cfg, &db.dir().join("demo-source"), &no_progress)
        .await
        .expect("demo");
    let q = DriversQuery {
        target: "lead_conversion_rate".into(),
        from: None,
        to: None,
        department: None,
    };
    let r = drivers(&db.store, &Scope::All, &q, Lang::Zh).await.expect("analysis");
    assert_eq!((r.from.as_str(), r.to.as_str()), ("2025-11", "2026-10"));
    assert!(r.rows > 500, "{} person-months", r.rows);
    // The demo also ties appraisals to skill and dilutes conversion with lead volume, so the two
    // planted behaviours share the top four with those.
    let top4: Vec<&str> = r.drivers.iter().take(4).map(|d| d.feature.as_str()).collect();
    for planted in ["followups_per_week", "contacted_within_24h_rate"] {
        let d = r.drivers.iter().find(|d| d.feature == planted).expect(planted);
        assert!(top4.contains(&planted), "{planted} not in the top 4: {top4:?}");
        assert_eq!(d.direction, "positive", "{planted}: {d:?}");
        assert!(d.explanation.contains("线索转化率平均高"), "{}", d.explanation);
    }
    assert!(r.excluded.iter().any(|e| e.feature == "lead_conversion_rate"));
    // Rendering names the method and says association is not causation.
    assert!(r.render(Lang::Zh).contains("不等于"));

    // Why is the weakest rep of the month behind? Gaps on clear drivers, priced, never appraisals.
    let month = Month::new(2026, 10).unwrap();
    let rows = db
        .store
        .employee_metrics(&MetricFilter {
            from: Some(month),
            to: Some(month),
            department: Some("销售中心".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let weakest = rows
        .iter()
        .filter(|r| r.metrics.fte >= 1.0)
        .min_by_key(|r| r.metrics.contribution_fen)
        .unwrap();
    let strongest = rows.iter().max_by_key(|r| r.metrics.contribution_fen).unwrap();
    let w = uplift_app::insights::why_low(&db.store, &weakest.employee_no, Some(month), Lang::Zh)
        .await
        .unwrap();
    assert!(w.peers >= 8, "{w:?}");
    assert!(w.contribution < w.top_quartile_from);
    assert!(!w.gaps.is_empty(), "the weakest rep trails on something: {w:?}");
    assert!(w.gaps.iter().all(|g| g.worth > 0.0 && g.feature != "appraisal_score"));
    assert!(w.gaps.windows(2).all(|p| p[0].worth >= p[1].worth), "largest gap first");
    let best = uplift_app::insights::why_low(&db.store, &strongest.employee_no, Some(month), Lang::Zh)
        .await
        .unwrap();
    assert!(best.contribution >= best.top_quartile_from);
    let worst_total: f64 = w.gaps.iter().map(|g| g.worth).sum();
    let best_total: f64 = best.gaps.iter().map(|g| g.worth).sum();
    assert!(
        best_total < worst_total,
        "the best has smaller gaps ({best_total}) than the weakest ({worst_total})"
    );

    // A department too small to analyse says so instead of guessing.
    let small = DriversQuery {
        department: Some("商务拓展部".into()),
        from: Month::new(2026, 9),
        ..q
    };
    let e = drivers(&db.store, &Scope::All, &small, Lang::Zh).await.unwrap_err();
    assert!(e.render(Lang::Zh).contains("样本太少"), "{}", e.render(Lang::Zh));
}
