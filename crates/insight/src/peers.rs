//! "Why is this person low": a person's drivers beside the top quartile of their peers (same role
//! family and tenure band, same month), each gap priced with the company-wide effect of that driver.

use serde::Serialize;
use uplift_domain::Lang;

use crate::drivers::Driver;
use crate::features::{PersonMonth, candidate_value, feature_label, reads_backwards, shown_value};
use uplift_domain::money::whole_with_separators as grouped;

/// Tenure bands peers are compared within (months): ramp-up, first year, second year, seasoned.
pub fn tenure_band(months: Option<i64>) -> &'static str {
    match months {
        Some(m) if m < 6 => "0-6",
        Some(m) if m < 12 => "6-12",
        Some(m) if m < 24 => "12-24",
        Some(_) => "24+",
        None => "?",
    }
}

/// One driver on which the person trails the top of their peers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    pub feature: String,
    pub label: String,
    pub person: f64,
    /// Median of the top-quartile peers.
    pub peers: f64,
    /// The target difference the gap corresponds to at the company-wide effect (positive: the gap
    /// costs the person this much).
    pub worth: f64,
    pub explanation: String,
}

/// Gaps of `person` against the top quartile (by contribution) of `peers` on the clear drivers
/// (interval excluding zero, not confounded), largest worth first; only gaps that cost something.
/// `None` when fewer than `min_peers` peers are given.
pub fn peer_gaps(
    person: &PersonMonth,
    peers: &[PersonMonth],
    drivers: &[Driver],
    min_peers: usize,
    lang: Lang,
) -> Option<Vec<Gap>> {
    if peers.len() < min_peers {
        return None;
    }
    let mut ranked: Vec<&PersonMonth> = peers.iter().collect();
    ranked.sort_by_key(|p| std::cmp::Reverse(p.metrics.contribution_fen));
    let top: Vec<&PersonMonth> = ranked.iter().take(ranked.len().div_ceil(4)).copied().collect();
    let mut gaps = Vec::new();
    // Appraisal scores are ratings of results, not something a person can practise: never a gap;
    // nor a lever whose association runs against its purpose (a "gap" of too much cadence).
    let actionable =
        |d: &&Driver| d.feature != "appraisal_score" && !reads_backwards(&d.feature, d.direction == "positive");
    for d in drivers
        .iter()
        // Levers only: gaps in what a person can change (circumstances are the funnel's side).
        .filter(|d| d.direction != "unclear" && d.confounded_by.is_none() && d.layer == crate::drivers::Layer::Lever)
        .filter(actionable)
    {
        let Some(mine) = candidate_value(&d.feature, &person.metrics) else {
            continue;
        };
        let mut vals: Vec<f64> = top
            .iter()
            .filter_map(|p| candidate_value(&d.feature, &p.metrics))
            .collect();
        if vals.is_empty() {
            continue;
        }
        vals.sort_by(f64::total_cmp);
        let median = if vals.len() % 2 == 1 {
            vals[vals.len() / 2]
        } else {
            (vals[vals.len() / 2 - 1] + vals[vals.len() / 2]) / 2.0
        };
        let worth = d.effect_per_unit * (median - mine);
        if worth <= 0.0 {
            continue;
        }
        let label = feature_label(&d.feature, lang);
        let fmt = |v: f64| shown_value(&d.feature, v);
        let explanation = match lang {
            Lang::Zh => format!(
                "{label}：本人 {}，同类前 25% 为 {}；按全公司的关系，这一差距约对应月贡献额 {} 元",
                fmt(mine),
                fmt(median),
                grouped(worth)
            ),
            Lang::En => format!(
                "{label}: {} here, {} for the top quarter of peers; at the company-wide effect the gap is worth about ¥{} a month",
                fmt(mine),
                fmt(median),
                grouped(worth)
            ),
        };
        gaps.push(Gap {
            feature: d.feature.clone(),
            label,
            person: mine,
            peers: median,
            worth,
            explanation,
        });
    }
    gaps.sort_by(|a, b| b.worth.total_cmp(&a.worth));
    // One behaviour measured two ways (first-response hours and the 24-hour rate; follow-ups and
    // cadence) is one gap: the larger is kept, so gaps add up without counting a behaviour twice.
    let mut seen = std::collections::HashSet::new();
    gaps.retain(|g| seen.insert(crate::features::lever_family(&g.feature)));
    Some(gaps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uplift_domain::metric_data::EmployeeMonthMetrics;

    fn pm(no: &str, contribution_yuan: i64, fpw: f64, conv: f64) -> PersonMonth {
        PersonMonth {
            extra: Vec::new(),
            employee_no: no.into(),
            department: None,
            metrics: EmployeeMonthMetrics {
                contribution_fen: contribution_yuan * 100,
                followups_per_week: Some(fpw),
                lead_conversion_rate: Some(conv),
                fte: 1.0,
                ..Default::default()
            },
        }
    }

    fn driver(feature: &str, per_unit: f64, direction: &str, confounded: Option<&str>) -> Driver {
        Driver {
            layer: crate::drivers::Layer::Lever,
            paths: Vec::new(),
            feature: feature.into(),
            rank: 1,
            importance: 5.0,
            linear_importance: 9.0,
            tree_importance: 0.1,
            nonlinear: false,
            effect_per_unit: per_unit,
            effect_per_sd: per_unit,
            ci_low: per_unit / 2.0,
            ci_high: per_unit * 1.5,
            p_value: 0.001,
            direction: direction.into(),
            raw_effect_per_sd: per_unit,
            raw_p_value: 0.001,
            confounded_by: confounded.map(str::to_string),
            missing_share: 0.0,
        }
    }

    #[test]
    fn gaps_are_priced_against_the_top_quartile_and_only_clear_drivers_count() {
        // Eight peers; the top quarter (2) follow up 6 and 8 times a week (median 7) and convert 30%.
        let peers = vec![
            pm("A", 300_000, 8.0, 0.30),
            pm("B", 280_000, 6.0, 0.30),
            pm("C", 150_000, 4.0, 0.10),
            pm("D", 140_000, 4.0, 0.10),
            pm("E", 130_000, 3.0, 0.10),
            pm("F", 120_000, 3.0, 0.10),
            pm("G", 110_000, 2.0, 0.10),
            pm("H", 100_000, 2.0, 0.10),
        ];
        let me = pm("ME", 90_000, 3.0, 0.35);
        let drivers = vec![
            driver("followups_per_week", 8_000.0, "positive", None),
            // Conversion: the person is above the top quartile: no gap.
            driver("lead_conversion_rate", 100_000.0, "positive", None),
            // Confounded and unclear drivers are not used.
            driver("leads_received", 500.0, "positive", Some("tenure")),
            driver("win_rate", 1.0, "unclear", None),
            // A rating of results is not a lever, however strong.
            driver("appraisal_score", 90_000.0, "positive", None),
            // Cadence found negative (the person is above the top quarter): read backwards, no gap.
            driver("presale_cadence_compliance", -50_000.0, "negative", None),
        ];
        let mut peers = peers;
        for p in &mut peers[..2] {
            p.metrics.presale_cadence_compliance = Some(0.5);
        }
        let mut me = me;
        me.metrics.presale_cadence_compliance = Some(0.9);
        let gaps = peer_gaps(&me, &peers, &drivers, 8, Lang::Zh).unwrap();
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].feature, "followups_per_week");
        assert_eq!((gaps[0].person, gaps[0].peers), (3.0, 7.0));
        assert!((gaps[0].worth - 32_000.0).abs() < 1e-6);
        assert!(
            gaps[0].explanation.contains("约对应月贡献额 32,000 元"),
            "{}",
            gaps[0].explanation
        );
        assert!(
            peer_gaps(&me, &peers[..5], &drivers, 8, Lang::Zh).is_none(),
            "too few peers"
        );
    }

    #[test]
    fn one_behaviour_is_one_gap_and_circumstances_are_not_gaps() {
        let mut peers: Vec<PersonMonth> = (0..8)
            .map(|i| pm(&format!("P{i}"), 300_000 - i * 10_000, 5.0, 0.2))
            .collect();
        for p in &mut peers[..2] {
            p.metrics.first_response_hours = Some(2.0);
            p.metrics.contacted_within_24h_rate = Some(0.9);
            p.metrics.leads_received = 40;
        }
        let mut me = pm("ME", 90_000, 5.0, 0.2);
        me.metrics.first_response_hours = Some(10.0);
        me.metrics.contacted_within_24h_rate = Some(0.5);
        me.metrics.leads_received = 10;
        let mut leads = driver("leads_received", 500.0, "positive", None);
        leads.layer = crate::drivers::Layer::Circumstance;
        let drivers = vec![
            // The same behaviour measured twice: 8 hours slower (¥8,000) and 40 points fewer
            // within 24 hours (¥20,000): one gap, the larger.
            driver("first_response_hours", -1_000.0, "negative", None),
            driver("contacted_within_24h_rate", 50_000.0, "positive", None),
            // Fewer leads given is a circumstance, not a gap in what the person does.
            leads,
        ];
        let gaps = peer_gaps(&me, &peers, &drivers, 8, Lang::Zh).unwrap();
        let found: Vec<(&str, f64)> = gaps.iter().map(|g| (g.feature.as_str(), g.worth.round())).collect();
        assert_eq!(found, [("contacted_within_24h_rate", 20_000.0)]);
    }

    #[test]
    fn tenure_bands() {
        assert_eq!(tenure_band(Some(0)), "0-6");
        assert_eq!(tenure_band(Some(11)), "6-12");
        assert_eq!(tenure_band(Some(23)), "12-24");
        assert_eq!(tenure_band(Some(60)), "24+");
        assert_eq!(tenure_band(None), "?");
    }
}
