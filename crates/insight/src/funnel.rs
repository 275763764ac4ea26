//! The funnel decomposition: how much of a contribution gap comes from lead volume, deals closed
//! per lead, win rate and deal size. Contribution is their product —
//! leads × (closed ÷ leads) × (won ÷ closed) × (contribution ÷ won), where closed = won + lost
//! deals and won ÷ closed is the metric table's win rate — so a gap between a
//! person (or team) and a comparison group splits into four parts that add up exactly: each
//! factor's Shapley value, the average over every order of swapping the factors from the group's
//! value to the person's of what that swap changes. Unlike log-difference splits it handles zeros
//! (no leads, no wins). Every factor is of the same month: deals are counted by their close date
//! (a lead's own conversion, counted by the lead's creation month, trails by weeks and is a
//! path of the levers instead). Deals closed in a month without leads make the product differ from
//! the contribution; that difference is the fifth part, `other`.
//!
//! This replaces funnel outcomes in the driver ranking: outcomes are what contribution is made of,
//! so they explain a gap here, beside the levers, and are never ranked as drivers.

use serde::Serialize;
use uplift_domain::metric_data::EmployeeMonthMetrics;

/// The funnel of a person-month, or of a group (sums over its person-months, divided by their
/// number for the per-person volume).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Funnel {
    /// Leads received, per person.
    pub leads: f64,
    /// Deals closed, won or lost.
    pub deals_closed: f64,
    pub orders_won: f64,
    /// Yuan.
    pub contribution: f64,
}

impl Funnel {
    pub fn of(m: &EmployeeMonthMetrics) -> Funnel {
        Funnel {
            leads: m.leads_received as f64,
            deals_closed: (m.orders_won + m.deals_lost) as f64,
            orders_won: m.orders_won as f64,
            contribution: m.contribution_fen as f64 / 100.0,
        }
    }

    /// A group's funnel: its rates pooled (Σ converted ÷ Σ leads…), its volume per person, so
    /// that the product is the group's mean contribution.
    pub fn of_group<'a>(rows: impl IntoIterator<Item = &'a EmployeeMonthMetrics>) -> Option<Funnel> {
        let mut sum = Funnel {
            leads: 0.0,
            deals_closed: 0.0,
            orders_won: 0.0,
            contribution: 0.0,
        };
        let mut n = 0usize;
        for m in rows {
            let f = Funnel::of(m);
            sum.leads += f.leads;
            sum.deals_closed += f.deals_closed;
            sum.orders_won += f.orders_won;
            sum.contribution += f.contribution;
            n += 1;
        }
        (n > 0).then(|| {
            let k = n as f64;
            Funnel {
                leads: sum.leads / k,
                deals_closed: sum.deals_closed / k,
                orders_won: sum.orders_won / k,
                contribution: sum.contribution / k,
            }
        })
    }

    /// The four factors; an undefined ratio (0 ÷ 0) is `None`.
    fn factors(&self) -> [Option<f64>; 4] {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        [
            Some(self.leads),
            ratio(self.deals_closed, self.leads),
            ratio(self.orders_won, self.deals_closed),
            ratio(self.contribution, self.orders_won),
        ]
    }
}

/// The stages of the funnel, in order.
pub const STAGES: [&str; 4] = ["lead_volume", "deals_per_lead", "win_rate", "deal_size"];

/// One part of a gap.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelPart {
    /// `lead_volume`, `deals_per_lead` (deals closed per lead), `win_rate`, `deal_size` or `other`.
    pub stage: &'static str,
    /// The person's and the group's value of the factor (`None` where undefined, or for `other`).
    pub person: Option<f64>,
    pub group: Option<f64>,
    /// Yuan of the gap this part explains (negative: below the group).
    pub yuan: f64,
}

/// Splits `person.contribution − group.contribution` into the funnel's parts; they add up to the gap.
pub fn decompose(person: &Funnel, group: &Funnel) -> Vec<FunnelPart> {
    let (fp, fg) = (person.factors(), group.factors());
    // An undefined factor takes the other side's value (or 1 when both are undefined): it then
    // explains nothing, and the product is unchanged (an undefined ratio follows a zero before it).
    let value = |mine: Option<f64>, other: Option<f64>| mine.or(other).unwrap_or(1.0);
    let a: Vec<f64> = (0..4).map(|i| value(fp[i], fg[i])).collect();
    let b: Vec<f64> = (0..4).map(|i| value(fg[i], fp[i])).collect();
    // Shapley values over the 16 subsets of factors taken from the person.
    let product = |mask: usize| {
        (0..4)
            .map(|i| if mask & (1 << i) != 0 { a[i] } else { b[i] })
            .product::<f64>()
    };
    let weight = |size: usize| {
        // |S|! (n − |S| − 1)! / n! for n = 4.
        const W: [f64; 4] = [6.0 / 24.0, 2.0 / 24.0, 2.0 / 24.0, 6.0 / 24.0];
        W[size]
    };
    let mut parts: Vec<FunnelPart> = (0..4)
        .map(|i| {
            let yuan: f64 = (0..16usize)
                .filter(|s| s & (1 << i) == 0)
                .map(|s| weight(s.count_ones() as usize) * (product(s | (1 << i)) - product(s)))
                .sum();
            FunnelPart {
                stage: STAGES[i],
                person: fp[i],
                group: fg[i],
                yuan,
            }
        })
        .collect();
    let explained: f64 = parts.iter().map(|p| p.yuan).sum();
    let gap = person.contribution - group.contribution;
    let other = gap - explained;
    if other.abs() > 0.005 {
        parts.push(FunnelPart {
            stage: "other",
            person: None,
            group: None,
            yuan: other,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funnel(leads: f64, closed: f64, won: f64, contribution: f64) -> Funnel {
        Funnel {
            leads,
            deals_closed: closed,
            orders_won: won,
            contribution,
        }
    }

    #[test]
    fn parts_add_up_and_land_on_the_stage_that_differs() {
        // Same leads, half the group's deals per lead, same win rate and deal size: the whole gap
        // is deals per lead.
        let group = funnel(100.0, 20.0, 10.0, 500_000.0);
        let me = funnel(100.0, 10.0, 5.0, 250_000.0);
        let parts = decompose(&me, &group);
        assert_eq!(parts.len(), 4);
        let by = |s: &str| parts.iter().find(|p| p.stage == s).unwrap().yuan;
        assert!((by("deals_per_lead") + 250_000.0).abs() < 1e-6, "{parts:?}");
        for s in ["lead_volume", "win_rate", "deal_size"] {
            assert!(by(s).abs() < 1e-6, "{s}: {parts:?}");
        }
        // Two stages at once: the parts add up to the gap exactly and share the interaction.
        let me = funnel(50.0, 10.0, 5.0, 400_000.0); // half the leads, same rates, deals 1.6×
        let parts = decompose(&me, &group);
        let total: f64 = parts.iter().map(|p| p.yuan).sum();
        assert!((total - (400_000.0 - 500_000.0)).abs() < 1e-6, "{parts:?}");
        assert!(parts.iter().find(|p| p.stage == "lead_volume").unwrap().yuan < 0.0);
        assert!(parts.iter().find(|p| p.stage == "deal_size").unwrap().yuan > 0.0);
        assert!(parts.iter().find(|p| p.stage == "win_rate").unwrap().yuan.abs() < 1e-6);
    }

    #[test]
    fn zeros_and_orders_without_leads_still_add_up() {
        let group = funnel(100.0, 20.0, 10.0, 500_000.0);
        // No leads at all: the gap is lead volume.
        let parts = decompose(&funnel(0.0, 0.0, 0.0, 0.0), &group);
        assert!((parts[0].yuan + 500_000.0).abs() < 1e-6, "{parts:?}");
        assert!(parts[1..].iter().all(|p| p.yuan.abs() < 1e-6), "{parts:?}");
        // Two orders closed in a month without leads: the product is 0, the contribution is not;
        // `other` holds it.
        let parts = decompose(&funnel(0.0, 2.0, 2.0, 80_000.0), &group);
        let total: f64 = parts.iter().map(|p| p.yuan).sum();
        assert!((total + 420_000.0).abs() < 1e-6, "{parts:?}");
        assert!(parts.iter().any(|p| p.stage == "other" && p.yuan > 0.0), "{parts:?}");
    }

    #[test]
    fn a_groups_funnel_is_pooled_and_its_product_is_the_mean() {
        let m = |leads: i64, lost: i64, won: i64, yuan: i64| EmployeeMonthMetrics {
            leads_received: leads,
            deals_lost: lost,
            orders_won: won,
            contribution_fen: yuan * 100,
            ..Default::default()
        };
        let rows = [m(100, 20, 10, 500_000), m(50, 5, 1, 30_000)];
        let g = Funnel::of_group(rows.iter()).unwrap();
        assert_eq!((g.leads, g.contribution), (75.0, 265_000.0));
        let product: f64 = g.factors().iter().map(|f| f.unwrap()).product();
        assert!((product - g.contribution).abs() < 1e-6);
    }
}
