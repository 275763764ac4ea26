//! Next month's contribution per person, from what is in the pipeline and what the person usually
//! closes on top of it.
//!
//! A month's contribution splits into two parts that are forecast separately, so nothing is counted
//! twice:
//! - **pipeline**: deals already open when the month starts. Each counts with its amount × the
//!   chance it closes this month given its age (a survival model of deal ages, estimated from the
//!   company's history with open deals as right-censored) × the owner's win rate (shrunk toward the
//!   company rate so a rep with three closed deals is not judged on them);
//! - **run-rate**: business created and won within the month. Its monthly history per person is
//!   forecast with exponential smoothing (augurs ETS, additive errors, trend chosen by AICc) when seven or more
//!   months are known, otherwise from the company's ramp curve by tenure month, shrunk toward the
//!   person's own few months.
//!
//! Headcount: a person counts for the share of the month they are employed (joiners ramp through
//! the ramp curve, leavers drop out). The 80% interval treats the pipeline as independent Bernoulli
//! deals and adds the run-rate's spread; backtests report how often actuals fall inside it.
//!
//! Expected close dates are not used: a CRM overwrites them with the actual date on closing, so a
//! backtest could not tell how good they were when the forecast was made. Deal age can.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use chrono::NaiveDate;
use serde::Serialize;
use uplift_domain::Month;

/// Months as consecutive integers (Jan 2026 = 2026×12).
pub fn month_index(m: Month) -> i32 {
    m.year() * 12 + m.month() as i32 - 1
}

pub fn month_of_index(i: i32) -> Month {
    Month::new(i.div_euclid(12), (i.rem_euclid(12) + 1) as u32).expect("valid month")
}

/// A deal's state as it is known today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealState {
    Open,
    Won,
    Lost,
}

/// One opportunity, owned by `people[owner]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub owner: usize,
    /// Month index of creation; `None` when the CRM export has no creation date.
    pub created: Option<i32>,
    /// Month index of the close date (expected close for open deals).
    pub close: i32,
    pub state: DealState,
    pub amount: f64,
}

/// A person who may be forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub hire: NaiveDate,
    pub leave: Option<NaiveDate>,
}

/// Everything a forecast is made from. Deals may include ones closed after the cutoff (backtests):
/// the forecast only looks at what was known when the month began.
#[derive(Debug, Clone)]
pub struct ForecastInput<'a> {
    pub people: &'a [Person],
    pub deals: &'a [Deal],
    pub month: Month,
    /// Share of `month` already past (0–1) when it is under way: the rest of the month is then
    /// forecast too (`PersonForecast::rest_of_month`) from the deals still open today.
    pub month_elapsed: Option<f64>,
}

/// One person's forecast.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonForecast {
    pub person: usize,
    pub forecast: f64,
    pub low: f64,
    pub high: f64,
    /// The part expected from deals open at the start of the month.
    pub pipeline: f64,
    /// The part expected from business created and won within the month.
    pub run_rate: f64,
    /// Open deals counted in `pipeline`.
    pub open_deals: usize,
    pub open_amount: f64,
    /// Share of the month the person is employed (0–1).
    pub active_share: f64,
    /// With `month_elapsed`: what is still to come this month — the deals open at the start and
    /// still open today, each with its chance of closing (won) in the days left, plus the
    /// run-rate for the days left. Deals that closed since the month began are not counted again:
    /// add what was won so far for the month's projection.
    pub rest_of_month: Option<f64>,
    /// `pipeline+ets`, `pipeline+ramp` (short history) — what the run-rate came from.
    pub method: &'static str,
}

/// The company-wide parameters the forecast used, for display.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ForecastModel {
    /// P(close this month | still open at age a months), a = 0..=12 (12 = 12 and older).
    pub close_hazard: Vec<f64>,
    pub company_win_rate: f64,
    pub closed_deals: usize,
}

/// The forecast for everyone employed in the month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Forecast {
    pub month: String,
    pub people: Vec<PersonForecast>,
    pub model: ForecastModel,
}

const MAX_AGE: usize = 12;
/// Pseudo-deals pulling a rep's win rate toward the company rate.
const WIN_PRIOR: f64 = 10.0;
/// Pseudo-deals pulling a rep's typical deal size toward the company's.
const SIZE_PRIOR: f64 = 5.0;
/// Pseudo-months pulling a short run-rate history toward the ramp curve.
const RAMP_PRIOR: f64 = 3.0;
/// History the run-rate looks at.
const HISTORY_MONTHS: i32 = 24;
/// z of a central 80% interval.
const Z80: f64 = 1.281_551_565_5;

/// Share of `month` between hire and leave dates (both days worked).
pub fn active_share(p: &Person, month: Month) -> f64 {
    let (first, last) = (month.first_day(), month.last_day());
    let from = p.hire.max(first);
    let to = p.leave.map_or(last, |l| l.min(last));
    if to < from {
        return 0.0;
    }
    ((to - from).num_days() + 1) as f64 / month.days() as f64
}

/// Share of the days still ahead in `month` (the last `left` of it, whole days) that the person is
/// employed: someone who left on the 5th has nothing more to come on the 20th, someone joining on
/// the 25th has all their days still ahead.
fn ahead_share(p: &Person, month: Month, left: f64) -> f64 {
    let ahead = (left.clamp(0.0, 1.0) * month.days() as f64).round() as i64;
    if ahead <= 0 {
        return 0.0;
    }
    let last = month.last_day();
    let from = p.hire.max(last - chrono::Duration::days(ahead - 1));
    let to = p.leave.map_or(last, |l| l.min(last));
    if to < from {
        return 0.0;
    }
    ((to - from).num_days() + 1) as f64 / ahead as f64
}

/// State of a deal as it was when month `cutoff` began, or `None` when it did not exist yet.
fn state_at(d: &Deal, cutoff: i32) -> Option<DealState> {
    match d.created {
        Some(c) if c >= cutoff => None,
        None if d.close >= cutoff => None,
        _ if d.close < cutoff => Some(d.state),
        _ => Some(DealState::Open),
    }
}

fn age_slot(age: i32) -> usize {
    (age.max(0) as usize).min(MAX_AGE)
}

/// Forecast of every person employed in `input.month`, from what was known when it began.
// Long on purpose: the forecast's steps (survival, run-rate, ramp, pipeline, per-person fits) share the
// history indexes built at the top; each step is commented.
pub fn forecast_month(input: &ForecastInput) -> Forecast {
    let cutoff = month_index(input.month);
    let n = input.people.len();

    // Survival of deal ages (right-censored by deals still open) and win rates, from closed history.
    let mut at_risk = [0f64; MAX_AGE + 1];
    let mut closes = [0f64; MAX_AGE + 1];
    let (mut won, mut closed) = (vec![0f64; n], vec![0f64; n]);
    // Run-rate history: won in the month it was created (or with no creation date), per person-month.
    let hist_from = cutoff - HISTORY_MONTHS;
    let mut fast = vec![0f64; n * HISTORY_MONTHS as usize];
    for d in input.deals {
        let Some(state) = state_at(d, cutoff) else { continue };
        if !d.amount.is_finite() {
            continue;
        }
        if let Some(c) = d.created {
            let last_open_age = if state == DealState::Open {
                cutoff - 1 - c
            } else {
                d.close - c
            };
            for a in 1..=last_open_age.clamp(0, MAX_AGE as i32) {
                at_risk[age_slot(a)] += 1.0;
            }
            // Every month open beyond the last slot is one more month at risk in it.
            at_risk[MAX_AGE] += (last_open_age - MAX_AGE as i32).max(0) as f64;
            if state != DealState::Open && d.close > c {
                closes[age_slot(d.close - c)] += 1.0;
            }
        }
        if state != DealState::Open && d.close >= cutoff - 12 && d.owner < n {
            closed[d.owner] += 1.0;
            if state == DealState::Won {
                won[d.owner] += 1.0;
            }
        }
        let same_month = d.created.is_none_or(|c| c == d.close);
        if state == DealState::Won && same_month && d.close >= hist_from && d.owner < n {
            fast[d.owner * HISTORY_MONTHS as usize + (d.close - hist_from) as usize] += d.amount;
        }
    }
    let pooled = closes[1..].iter().sum::<f64>() / at_risk[1..].iter().sum::<f64>().max(1.0);
    let hazard: Vec<f64> = (0..=MAX_AGE)
        .map(|a| {
            if at_risk[a] >= 5.0 {
                closes[a] / at_risk[a]
            } else {
                pooled
            }
        })
        .collect();
    let (won_all, closed_all) = (won.iter().sum::<f64>(), closed.iter().sum::<f64>());
    let company_win = if closed_all > 0.0 { won_all / closed_all } else { 0.0 };
    let win_rate = |i: usize| (won[i] + WIN_PRIOR * company_win) / (closed[i] + WIN_PRIOR);

    // Each person's run-rate months: those they were employed in, within the history window.
    let months_of = |i: usize| -> Vec<f64> {
        let p = &input.people[i];
        (hist_from..cutoff)
            .filter(|&m| active_share(p, month_of_index(m)) >= 0.5)
            .map(|m| fast[i * HISTORY_MONTHS as usize + (m - hist_from) as usize])
            .collect()
    };
    // Ramp curve: mean run-rate by tenure month (0..24) over everyone, the fallback for joiners.
    let mut ramp_sum = vec![0f64; HISTORY_MONTHS as usize + 1];
    let mut ramp_n = vec![0f64; HISTORY_MONTHS as usize + 1];
    for (i, p) in input.people.iter().enumerate() {
        let hired = month_index(Month::of(p.hire));
        for m in hist_from.max(hired)..cutoff {
            if active_share(p, month_of_index(m)) >= 0.5 {
                let t = ((m - hired) as usize).min(HISTORY_MONTHS as usize);
                ramp_sum[t] += fast[i * HISTORY_MONTHS as usize + (m - hist_from) as usize];
                ramp_n[t] += 1.0;
            }
        }
    }
    let ramp_all = ramp_sum.iter().sum::<f64>() / ramp_n.iter().sum::<f64>().max(1.0);
    let ramp = |t: i32| {
        let t = (t.max(0) as usize).min(HISTORY_MONTHS as usize);
        if ramp_n[t] >= 3.0 {
            ramp_sum[t] / ramp_n[t]
        } else {
            ramp_all
        }
    };

    // A deal without an amount (some CRMs only record the value of won deals) counts with the
    // owner's typical won deal of the last year, shrunk toward the company's.
    let (mut won_sum, mut won_n) = (vec![0f64; n], vec![0f64; n]);
    for d in input.deals {
        if d.owner < n
            && d.amount.is_finite()
            && d.amount > 0.0
            && d.close >= cutoff - 12
            && state_at(d, cutoff) == Some(DealState::Won)
        {
            won_sum[d.owner] += d.amount;
            won_n[d.owner] += 1.0;
        }
    }
    let company_deal = won_sum.iter().sum::<f64>() / won_n.iter().sum::<f64>().max(1.0);
    let typical = |i: usize| (won_sum[i] + SIZE_PRIOR * company_deal) / (won_n[i] + SIZE_PRIOR);

    // Open pipeline per person.
    let left = input.month_elapsed.map(|e| 1.0 - e.clamp(0.0, 1.0));
    let mut pipe = vec![(0f64, 0f64, 0usize, 0f64, 0f64); n];
    for d in input.deals {
        if d.owner >= n || state_at(d, cutoff) != Some(DealState::Open) {
            continue;
        }
        let amount = if d.amount.is_finite() && d.amount > 0.0 {
            d.amount
        } else {
            typical(d.owner)
        };
        let h = d.created.map_or(pooled, |c| hazard[age_slot(cutoff - c)]);
        let q = (h * win_rate(d.owner)).clamp(0.0, 1.0);
        let e = &mut pipe[d.owner];
        e.0 += amount * q;
        e.1 += amount * amount * q * (1.0 - q);
        e.2 += 1;
        e.3 += amount;
        // Still open today: closing at a steady rate over the month, the chance of closing in the
        // days left given it has not closed yet is h·left / (1 − h·elapsed).
        if let Some(left) = left
            && d.state == DealState::Open
        {
            let h = h.clamp(0.0, 1.0);
            let rest = h * left / (1.0 - h * (1.0 - left)).max(1e-9);
            e.4 += amount * (rest * win_rate(d.owner)).clamp(0.0, 1.0);
        }
    }

    // One ETS fit per person dominates the cost: people are split over the machine's cores.
    let one = |i: usize| -> Option<PersonForecast> {
        let p = &input.people[i];
        let share = active_share(p, input.month);
        if share <= 0.0 {
            return None;
        }
        let tenure = cutoff - month_index(Month::of(p.hire));
        let history = months_of(i);
        let (run_rate, run_var, method) = match ets(&history) {
            Some((point, sd)) => (point.max(0.0), sd * sd, "pipeline+ets"),
            None => {
                let k = history.len() as f64;
                let prior = ramp(tenure);
                let point = (history.iter().sum::<f64>() + RAMP_PRIOR * prior) / (k + RAMP_PRIOR);
                // Spread of a month's run-rate: the person's own when known, else a Poisson-like guess.
                let var = if history.len() >= 3 {
                    let mean = history.iter().sum::<f64>() / k;
                    history.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)
                } else {
                    (point * point).max(1.0)
                };
                (point, var, "pipeline+ramp")
            }
        };
        let (pipeline, pipe_var, open_deals, open_amount, still_open) = pipe[i];
        let forecast = (pipeline + run_rate) * share;
        let sd = (pipe_var + run_var).sqrt() * share;
        Some(PersonForecast {
            person: i,
            forecast,
            low: (forecast - Z80 * sd).max(0.0),
            high: forecast + Z80 * sd,
            pipeline: pipeline * share,
            run_rate: run_rate * share,
            open_deals,
            open_amount,
            active_share: share,
            rest_of_month: left.map(|left| (still_open + run_rate * left) * ahead_share(p, input.month, left)),
            method,
        })
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = n.div_ceil(threads).max(256);
    let people: Vec<PersonForecast> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let one = &one;
                scope.spawn(move || (start..(start + chunk).min(n)).filter_map(one).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    Forecast {
        month: input.month.to_string(),
        people,
        model: ForecastModel {
            close_hazard: hazard,
            company_win_rate: company_win,
            closed_deals: closed_all as usize,
        },
    }
}

/// One-step ETS(A,N,N) forecast and the standard deviation of its 80% interval, or `None` when the
/// history is too short for the model.
fn ets(history: &[f64]) -> Option<(f64, f64)> {
    if history.len() < 7 {
        return None;
    }
    // A constant series (often all zeros) has no error to estimate: the level is the answer.
    if history.iter().all(|&x| x == history[0]) {
        return Some((history[0], 0.0));
    }
    // "AZN" (additive errors; no, additive or damped trend by AICc): augurs 0.10 finds no model
    // for the fixed spec "ANN", though it picks ANN itself under "AZN".
    let model = AutoETS::new(1, "AZN").ok()?.fit(history).ok()?;
    let f = model.predict(1, 0.8).ok()?;
    let point = *f.point.first()?;
    let sd = f
        .intervals
        .and_then(|iv| Some((iv.upper.first()? - iv.lower.first()?) / (2.0 * Z80)))
        .unwrap_or(0.0);
    (point.is_finite() && sd.is_finite()).then_some((point, sd))
}

/// Won amount per person in `month` (the actual contribution).
pub fn actual_contribution(people: usize, deals: &[Deal], month: Month) -> Vec<f64> {
    let m = month_index(month);
    let mut out = vec![0.0; people];
    for d in deals {
        if d.state == DealState::Won && d.close == m && d.owner < people && d.amount.is_finite() {
            out[d.owner] += d.amount;
        }
    }
    out
}

/// Error measures of one method over a set of (forecast, actual) pairs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Accuracy {
    pub method: String,
    /// Mean absolute error per person-month.
    pub mae: f64,
    /// Mean absolute percentage error over person-months with an actual above zero.
    pub mape: f64,
    /// Mean of forecast − actual (positive = too optimistic).
    pub bias: f64,
    /// Absolute error of the total, as a share of the actual total, averaged over the months with
    /// an actual total above zero.
    pub total_error: f64,
    /// Share of actuals inside the 80% interval (only for methods with an interval).
    pub coverage_80: Option<f64>,
}

/// One replayed month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacktestMonth {
    pub month: String,
    pub people: usize,
    pub actual_total: f64,
    pub forecast_total: f64,
    pub last_month_total: f64,
    pub mean3_total: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Backtest {
    pub months: Vec<BacktestMonth>,
    /// Uplift's forecast first, then the naive baselines `last_month` and `mean_3`.
    pub accuracy: Vec<Accuracy>,
}

#[derive(Default)]
struct Tally {
    abs: f64,
    pct: f64,
    pct_n: usize,
    signed: f64,
    n: usize,
    inside: usize,
    total_err: f64,
}

impl Tally {
    fn add(&mut self, forecast: f64, actual: f64) {
        self.abs += (forecast - actual).abs();
        self.signed += forecast - actual;
        self.n += 1;
        if actual > 0.0 {
            self.pct += (forecast - actual).abs() / actual;
            self.pct_n += 1;
        }
    }

    fn finish(&self, method: &str, months: usize, interval: bool) -> Accuracy {
        let n = self.n.max(1) as f64;
        Accuracy {
            method: method.to_string(),
            mae: self.abs / n,
            mape: if self.pct_n > 0 {
                self.pct / self.pct_n as f64
            } else {
                f64::NAN
            },
            bias: self.signed / n,
            total_error: self.total_err / months.max(1) as f64,
            coverage_80: interval.then(|| self.inside as f64 / n),
        }
    }
}

/// Replays the `months` months ending with `last`: each forecast from the data before it, against
/// what happened and against the naive baselines (last month; mean of the last three). Only the
/// people with `include[i]` are scored (all when `include` is empty); the model still learns from
/// everyone.
pub fn backtest(people: &[Person], deals: &[Deal], last: Month, months: u32, include: &[bool]) -> Backtest {
    let first = last.span_start(months);
    let mut tallies: [Tally; 3] = Default::default();
    let mut out = Vec::new();
    // Actuals per month, computed once for the replayed months and the three before them.
    let mut actual_by_month = std::collections::HashMap::new();
    let mut actual = |m: Month| -> Vec<f64> {
        actual_by_month
            .entry(month_index(m))
            .or_insert_with(|| actual_contribution(people.len(), deals, m))
            .clone()
    };
    let mut scored_months = 0;
    for month in first.through(last) {
        // A leave date recorded after the month began was not known then: the replay does not
        // use it (joiners stay: a start date is entered before the person starts).
        let known: Vec<Person> = people
            .iter()
            .map(|p| Person {
                hire: p.hire,
                leave: p.leave.filter(|l| *l < month.first_day()),
            })
            .collect();
        let f = forecast_month(&ForecastInput {
            people: &known,
            deals,
            month,
            month_elapsed: None,
        });
        let now = actual(month);
        let back: Vec<Vec<f64>> = (1..=3)
            .map(|k| actual(month_of_index(month_index(month) - k)))
            .collect();
        let mut row = BacktestMonth {
            month: month.to_string(),
            people: 0,
            actual_total: 0.0,
            forecast_total: 0.0,
            last_month_total: 0.0,
            mean3_total: 0.0,
        };
        for pf in &f.people {
            let i = pf.person;
            if !include.is_empty() && !include.get(i).copied().unwrap_or(false) {
                continue;
            }
            let last1 = back[0][i];
            let mean3 = (back[0][i] + back[1][i] + back[2][i]) / 3.0;
            tallies[0].add(pf.forecast, now[i]);
            if now[i] >= pf.low && now[i] <= pf.high {
                tallies[0].inside += 1;
            }
            tallies[1].add(last1, now[i]);
            tallies[2].add(mean3, now[i]);
            row.people += 1;
            row.actual_total += now[i];
            row.forecast_total += pf.forecast;
            row.last_month_total += last1;
            row.mean3_total += mean3;
        }
        if row.actual_total > 0.0 {
            scored_months += 1;
            for (t, total) in tallies
                .iter_mut()
                .zip([row.forecast_total, row.last_month_total, row.mean3_total])
            {
                t.total_err += (total - row.actual_total).abs() / row.actual_total;
            }
        }
        out.push(row);
    }
    let n = scored_months;
    Backtest {
        months: out,
        accuracy: vec![
            tallies[0].finish("uplift", n, true),
            tallies[1].finish("last_month", n, false),
            tallies[2].finish("mean_3", n, false),
        ],
    }
}

#[cfg(test)]
mod tests;
