//! Next month's contribution for everyone in scope, team and company totals, the current month's
//! projection, and the backtest that shows how good the forecast has been.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use serde::Serialize;
use uplift_domain::access::Scope;
use uplift_domain::{Lang, Month};
use uplift_insight::forecast::{
    Accuracy, BacktestMonth, Deal, DealState, ForecastInput, ForecastModel, Person, backtest as replay, forecast_month,
    month_index,
};
use uplift_store::{ForecastPerson, Store};

use crate::AppError;

/// z of a central 80% interval, to combine people's spreads into team totals.
const Z80: f64 = 1.281_551_565_5;

#[derive(Debug, Clone, Default)]
pub struct ForecastQuery {
    /// Default: the month after the newest month with results.
    pub month: Option<Month>,
    /// Only this department (path) and its sub-departments.
    pub department: Option<String>,
    /// The language of error messages.
    pub lang: Lang,
}

/// One person's forecast.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastLine {
    pub employee_no: String,
    pub name: String,
    pub department: Option<String>,
    pub month: String,
    pub forecast: f64,
    pub low: f64,
    pub high: f64,
    pub pipeline: f64,
    pub run_rate: f64,
    pub open_deals: usize,
    pub open_amount: f64,
    /// Share of the month employed: below 1 for joiners and leavers.
    pub active_share: f64,
    pub target: Option<f64>,
    /// The month has no target yet; the latest of the three months before is shown.
    pub target_carried: bool,
    /// forecast / target.
    pub attainment: Option<f64>,
    /// Won so far, when the month is the current one.
    pub month_to_date: Option<f64>,
    /// The current month only: won so far + what is still to come (deals open since the month
    /// began and still open today, with their chance of closing in the days left, and the
    /// run-rate of the days left). Deals closed since the 1st are not counted twice.
    pub projection: Option<f64>,
    pub method: String,
}

/// A team's (or everyone's, `department` `None`) totals.
#[derive(Debug, Clone, Serialize)]
pub struct GroupForecast {
    pub department: Option<String>,
    pub people: usize,
    /// Expected full-time equivalents in the month (joiners and leavers count in part).
    pub fte: f64,
    pub forecast: f64,
    pub low: f64,
    pub high: f64,
    pub per_capita: Option<f64>,
    pub target: Option<f64>,
    /// Forecast of the people who have a target / their targets (like with like).
    pub attainment: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForecastResult {
    pub month: String,
    /// Data up to the end of this month was used.
    pub based_on: String,
    pub total: GroupForecast,
    pub teams: Vec<GroupForecast>,
    pub people: Vec<ForecastLine>,
    /// People who join during the month / whose last day falls in it.
    pub joiners: usize,
    pub leavers: usize,
    pub model: ForecastModel,
}

/// Everything loaded once for forecasts and backtests.
pub struct Loaded {
    pub roster: Vec<ForecastPerson>,
    pub people: Vec<Person>,
    pub deals: Vec<Deal>,
}

fn key_of_index(i: i32) -> i32 {
    uplift_insight::forecast::month_of_index(i).to_key()
}

fn parse_date(s: &str) -> Result<NaiveDate, AppError> {
    s.parse()
        .map_err(|_| AppError::internal(format!("bad stored date {s:?}")))
}

/// Roster and the deals of the 26 months before `first` onwards.
pub async fn load(store: &Store, first: Month) -> Result<Loaded, AppError> {
    let roster = store.forecast_people().await?;
    let mut index = FxHashMap::default();
    let mut people = Vec::with_capacity(roster.len());
    for (i, r) in roster.iter().enumerate() {
        index.insert(r.id, i);
        people.push(Person {
            hire: parse_date(&r.hire_date)?,
            leave: r.leave_date.as_deref().map(parse_date).transpose()?,
        });
    }
    let since = key_of_index(month_index(first) - 26);
    let to_index = |key: i64| Month::from_key(key as i32).map(month_index);
    let deals = store
        .forecast_deals(since)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(Deal {
                owner: *index.get(&d.employee_id)?,
                created: d.created_month.and_then(to_index),
                close: to_index(d.close_month)?,
                state: match d.state {
                    1 => DealState::Won,
                    2 => DealState::Lost,
                    _ => DealState::Open,
                },
                amount: d.amount_fen.unwrap_or(0) as f64 / 100.0,
            })
        })
        .collect();
    Ok(Loaded { roster, people, deals })
}

fn in_scope(r: &ForecastPerson, scope: &Scope, department: Option<&str>) -> bool {
    scope.contains(&r.employee_no, r.department.as_deref())
        && department.is_none_or(|d| {
            r.department
                .as_deref()
                .is_some_and(|p| uplift_domain::access::path_within(p, d))
        })
}

/// Today in the company's time zone.
async fn today(store: &Store) -> Result<NaiveDate, AppError> {
    let tz = crate::settings::company_tz(store).await?;
    Ok(Utc::now().with_timezone(&tz).date_naive())
}

/// The forecast of `q.month` for the people in `scope`.
// Long on purpose: reads, forecasts and totals one month for a scope; the current month, targets and
// totals are commented steps.
pub async fn forecast(store: &Store, scope: &Scope, q: &ForecastQuery) -> Result<ForecastResult, AppError> {
    let l = q.lang;
    let latest = crate::views::latest_month(store).await?;
    let month = q.month.unwrap_or_else(|| latest.next());
    // Beyond the month after the newest results there is nothing to forecast from; before the
    // third month of history there is too little to learn from.
    if month > latest.next() {
        return Err(AppError::invalid(match l {
            Lang::Zh => format!("数据截至 {latest}，最多只能预测 {}", latest.next()),
            Lang::En => format!(
                "data ends with {latest}: the latest month that can be forecast is {}",
                latest.next()
            ),
        }));
    }
    if let Some(first) = crate::views::metric_months(store).await?.first().copied()
        && month < first.next().next().next()
    {
        return Err(AppError::invalid(match l {
            Lang::Zh => format!(
                "数据从 {first} 开始，至少需要 3 个月的历史：最早可预测 {}",
                first.next().next().next()
            ),
            Lang::En => format!(
                "data starts with {first}; three months of history are needed: the earliest month that can be forecast is {}",
                first.next().next().next()
            ),
        }));
    }
    let data = std::sync::Arc::new(load(store, month).await?);
    if let Some(d) = &q.department
        && !data.roster.iter().any(|r| {
            r.department
                .as_deref()
                .is_some_and(|p| uplift_domain::access::path_within(p, d))
        })
    {
        return Err(AppError::NotFound(format!("{}: {d}", l.pick("部门", "department"))));
    }
    // A department outside the caller's scope is refused before anything of it (its model-wide
    // accuracy included) is computed.
    // (The rule of `access::require_department`, on the roster already loaded.)
    if let Some(d) = &q.department {
        let allowed = match scope {
            Scope::All => true,
            Scope::Departments(_) => scope.covers_department(d),
            Scope::Employees(_) => data.roster.iter().any(|r| in_scope(r, scope, Some(d))),
        };
        if !allowed {
            return Err(AppError::Forbidden);
        }
    }
    // The current month (company time zone): what is already won, and the rest of the month
    // forecast from the deals still open today.
    let today = today(store).await?;
    let current = Month::of(today) == month;
    let elapsed = current.then(|| f64::from(today.day() - 1) / f64::from(month.days()));
    let f = {
        let data = data.clone();
        crate::heavy(move || {
            forecast_month(&ForecastInput {
                people: &data.people,
                deals: &data.deals,
                month,
                month_elapsed: elapsed,
            })
        })
        .await?
    };
    // The month's target; where none is set yet, the latest of the three months before carries on
    // (quotas are often entered late), flagged as carried.
    let mut targets: FxHashMap<i64, (f64, bool)> = FxHashMap::default();
    for (e, m, fen) in store
        .targets_between(month.span_start(4).to_key(), month.to_key())
        .await?
    {
        targets.insert(e, (fen as f64 / 100.0, m as i32 != month.to_key()));
    }
    let mut won_so_far = vec![0.0; data.people.len()];
    if current {
        let m = month_index(month);
        for d in &data.deals {
            if d.state == DealState::Won && d.close == m {
                won_so_far[d.owner] += d.amount;
            }
        }
    }

    let mut people = Vec::new();
    let (mut joiners, mut leavers) = (0, 0);
    for pf in &f.people {
        let r = &data.roster[pf.person];
        if !in_scope(r, scope, q.department.as_deref()) {
            continue;
        }
        let p = &data.people[pf.person];
        joiners += usize::from(Month::of(p.hire) == month);
        leavers += usize::from(p.leave.is_some_and(|l| Month::of(l) == month));
        let (target, target_carried) = match targets.get(&r.id) {
            Some(&(t, carried)) if t > 0.0 => (Some(t), carried),
            _ => (None, false),
        };
        people.push(ForecastLine {
            employee_no: r.employee_no.clone(),
            name: r.name.clone(),
            department: r.department.clone(),
            month: month.to_string(),
            forecast: pf.forecast,
            low: pf.low,
            high: pf.high,
            pipeline: pf.pipeline,
            run_rate: pf.run_rate,
            open_deals: pf.open_deals,
            open_amount: pf.open_amount,
            active_share: pf.active_share,
            target,
            target_carried,
            attainment: target.map(|t| pf.forecast / t),
            month_to_date: current.then_some(won_so_far[pf.person]),
            projection: pf.rest_of_month.map(|rest| won_so_far[pf.person] + rest),
            method: pf.method.to_string(),
        });
    }
    let mut by_team: BTreeMap<Option<String>, Vec<&ForecastLine>> = BTreeMap::new();
    for l in &people {
        by_team.entry(l.department.clone()).or_default().push(l);
    }
    let teams = by_team.into_iter().map(|(d, ls)| group(d, &ls)).collect();
    let all: Vec<&ForecastLine> = people.iter().collect();
    Ok(ForecastResult {
        month: month.to_string(),
        based_on: month.prev().to_string(),
        total: group(None, &all),
        teams,
        people,
        joiners,
        leavers,
        model: f.model,
    })
}

/// Totals of a group; spreads add as independent variances.
fn group(department: Option<String>, lines: &[&ForecastLine]) -> GroupForecast {
    // `+ 0.0`: an empty float sum is -0.0, which would print as "-0".
    let forecast: f64 = lines.iter().map(|l| l.forecast).sum::<f64>() + 0.0;
    let var: f64 = lines.iter().map(|l| ((l.high - l.forecast) / Z80).powi(2)).sum();
    let fte: f64 = lines.iter().map(|l| l.active_share).sum::<f64>() + 0.0;
    let targets: Vec<f64> = lines.iter().filter_map(|l| l.target).collect();
    let with_target: f64 = lines.iter().filter(|l| l.target.is_some()).map(|l| l.forecast).sum();
    let target_sum: f64 = targets.iter().sum();
    GroupForecast {
        department,
        people: lines.len(),
        fte,
        forecast,
        low: (forecast - Z80 * var.sqrt()).max(0.0),
        high: forecast + Z80 * var.sqrt(),
        per_capita: (fte > 0.0).then(|| forecast / fte),
        target: (!targets.is_empty()).then_some(target_sum),
        attainment: (target_sum > 0.0).then(|| with_target / target_sum),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    pub from: String,
    pub to: String,
    pub months: Vec<BacktestMonth>,
    pub accuracy: Vec<Accuracy>,
}

/// Replays the last `months` months with results for the people in `scope`.
pub async fn backtest(store: &Store, scope: &Scope, months: u32) -> Result<BacktestResult, AppError> {
    backtest_in(store, scope, None, months).await
}

/// [`backtest`] for one department (with its sub-departments) of the scope.
pub async fn backtest_in(
    store: &Store,
    scope: &Scope,
    department: Option<&str>,
    months: u32,
) -> Result<BacktestResult, AppError> {
    if !(1..=36).contains(&months) {
        return Err(AppError::invalid("--months: 1–36".into()));
    }
    let last = crate::views::latest_month(store).await?;
    let first = last.span_start(months);
    let data = load(store, first).await?;
    let include: Vec<bool> = data.roster.iter().map(|r| in_scope(r, scope, department)).collect();
    let bt = crate::heavy(move || replay(&data.people, &data.deals, last, months, &include)).await?;
    Ok(BacktestResult {
        from: first.to_string(),
        to: last.to_string(),
        months: bt.months,
        accuracy: bt.accuracy,
    })
}

/// Whole units with thousands separators (1,234,567).
pub(crate) fn money_text(v: f64) -> String {
    uplift_domain::money::whole_with_separators(v)
}

impl ForecastResult {
    /// CSV with the contract's columns: `employee_no, month, forecast, low, high, method`.
    pub fn to_csv(&self) -> Result<String, AppError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| AppError::internal(e.to_string());
        w.write_record(["employee_no", "month", "forecast", "low", "high", "method"])
            .map_err(io)?;
        for l in &self.people {
            w.write_record([
                l.employee_no.as_str(),
                l.month.as_str(),
                &format!("{:.2}", l.forecast),
                &format!("{:.2}", l.low),
                &format!("{:.2}", l.high),
                l.method.as_str(),
            ])
            .map_err(io)?;
        }
        let bytes = w.into_inner().map_err(|e| AppError::internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| AppError::internal(e.to_string()))
    }
}

/// A forecast line's method in words.
pub fn method_text(method: &str, lang: Lang) -> &'static str {
    match method {
        "pipeline+ets" => lang.pick("在途商机 + 指数平滑", "pipeline + exponential smoothing"),
        _ => lang.pick("在途商机 + 新人爬坡曲线", "pipeline + ramp curve"),
    }
}

impl BacktestResult {
    pub fn method_label(method: &str, lang: Lang) -> &'static str {
        match method {
            "uplift" => lang.pick("Uplift 预测", "Uplift forecast"),
            "last_month" => lang.pick("上月值", "Last month"),
            _ => lang.pick("近3月均值", "Mean of last 3"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_groups_thousands() {
        assert_eq!(super::money_text(1234567.4), "1,234,567");
        assert_eq!(super::money_text(999.0), "999");
        assert_eq!(super::money_text(-1500.0), "-1,500");
    }
}
