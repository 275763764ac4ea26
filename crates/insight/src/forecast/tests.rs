//! Tests of `forecast`.

use super::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A team whose deals are created each month and close one or two months later, won at each
/// rep's own rate: next month's result is largely in today's pipeline.
fn team(seed: u64) -> (Vec<Person>, Vec<Deal>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let people: Vec<Person> = (0..60)
        .map(|i| Person {
            hire: if i < 50 { date(2023, 1, 1) } else { date(2025, 6, 1) },
            leave: None,
        })
        .collect();
    let mut deals = Vec::new();
    let start = month_index(Month::new(2024, 1).unwrap());
    let end = month_index(Month::new(2025, 12).unwrap());
    for (i, p) in people.iter().enumerate() {
        let win = 0.2 + 0.6 * (i % 10) as f64 / 10.0;
        // Activity swings from month to month, so last month says little about the next.
        for m in start.max(month_index(Month::of(p.hire)))..=end {
            let created = rng.random_range(0..8);
            for _ in 0..created {
                let age = if rng.random::<f64>() < 0.7 { 1 } else { 2 };
                let close = m + age;
                let state = if close > end {
                    DealState::Open
                } else if rng.random::<f64>() < win {
                    DealState::Won
                } else {
                    DealState::Lost
                };
                let amount = 10_000.0 + rng.random_range(0.0..20_000.0);
                deals.push(Deal {
                    owner: i,
                    created: Some(m),
                    close,
                    state,
                    amount,
                });
            }
        }
    }
    (people, deals)
}

#[test]
fn recovers_the_close_hazard_and_win_rates() {
    let (people, deals) = team(1);
    let f = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month: Month::new(2025, 10).unwrap(),
        month_elapsed: None,
    });
    // 70% close at age 1; of the rest all close at age 2.
    assert!(
        (f.model.close_hazard[1] - 0.7).abs() < 0.03,
        "{:?}",
        f.model.close_hazard
    );
    assert!(f.model.close_hazard[2] > 0.95, "{:?}", f.model.close_hazard);
    assert!(
        (f.model.company_win_rate - 0.47).abs() < 0.04,
        "{}",
        f.model.company_win_rate
    );
}

#[test]
fn beats_naive_baselines_when_the_pipeline_carries_the_signal() {
    let (people, deals) = team(2);
    let bt = backtest(&people, &deals, Month::new(2025, 12).unwrap(), 6, &[]);
    let [ours, last, mean3] = [&bt.accuracy[0], &bt.accuracy[1], &bt.accuracy[2]];
    assert!(
        ours.mae < 0.8 * last.mae,
        "ours {} vs last month {}",
        ours.mae,
        last.mae
    );
    assert!(
        ours.mae < 0.8 * mean3.mae,
        "ours {} vs mean of 3 {}",
        ours.mae,
        mean3.mae
    );
    assert!(
        ours.bias.abs() < 0.1 * ours.mae.max(1.0) + 2_000.0,
        "bias {}",
        ours.bias
    );
    let coverage = ours.coverage_80.unwrap();
    assert!((0.65..=0.95).contains(&coverage), "80% interval covered {coverage}");
    assert_eq!(bt.months.len(), 6);
}

#[test]
fn the_forecast_uses_only_what_was_known_at_the_start_of_the_month() {
    let (people, mut deals) = team(3);
    let month = Month::new(2025, 9).unwrap();
    let before = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month,
        month_elapsed: None,
    });
    // Deals created in or after the month, and outcomes after it began, must not matter.
    let m = month_index(month);
    for d in deals.iter_mut() {
        if d.created.is_some_and(|c| c >= m) {
            d.amount *= 10.0;
        }
        if d.close >= m && d.state != DealState::Open {
            d.state = if d.state == DealState::Won {
                DealState::Lost
            } else {
                DealState::Won
            };
        }
    }
    let after = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month,
        month_elapsed: None,
    });
    assert_eq!(before, after);
}

#[test]
fn the_rest_of_the_current_month_counts_only_deals_still_open() {
    let (people, mut deals) = team(5);
    let month = Month::new(2025, 12).unwrap();
    let m = month_index(month);
    let run = |deals: &[Deal], elapsed: f64| {
        forecast_month(&ForecastInput {
            people: &people,
            deals,
            month,
            month_elapsed: Some(elapsed),
        })
    };
    // As on the 1st: everything open at the start is still open, so the rest is the forecast.
    let start_of_month: Vec<Deal> = deals
        .iter()
        .map(|d| Deal {
            state: if d.close >= m && d.created.is_some_and(|c| c < m) {
                DealState::Open
            } else {
                d.state
            },
            ..d.clone()
        })
        .collect();
    let first = run(&start_of_month, 0.0);
    for p in &first.people {
        let rest = p.rest_of_month.unwrap();
        assert!(
            (rest - p.forecast).abs() < 1e-6 * p.forecast.max(1.0),
            "{rest} vs {}",
            p.forecast
        );
    }
    // At the month's end nothing is left to come.
    assert!(
        run(&start_of_month, 1.0)
            .people
            .iter()
            .all(|p| p.rest_of_month.unwrap().abs() < 1e-9)
    );
    // Half-way, with some deals closed since the 1st: those count in won-so-far, not again
    // in the rest — their amounts and outcomes do not move it.
    for d in deals
        .iter_mut()
        .filter(|d| d.close == m && d.created.is_some_and(|c| c < m))
    {
        d.state = DealState::Won;
    }
    let closed: usize = deals
        .iter()
        .filter(|d| d.close == m && d.state == DealState::Won)
        .count();
    assert!(closed > 50, "{closed} deals closed this month");
    let half = run(&deals, 0.5);
    for d in deals.iter_mut().filter(|d| d.close == m && d.state == DealState::Won) {
        d.amount *= 7.0;
        d.state = DealState::Lost;
    }
    let again = run(&deals, 0.5);
    let half_way = run(&start_of_month, 0.5);
    for ((a, b), all_open) in half.people.iter().zip(&again.people).zip(&half_way.people) {
        assert_eq!(a.rest_of_month, b.rest_of_month);
        // The start-of-month forecast itself does not change with what happened since.
        assert_eq!(a.forecast, all_open.forecast);
        assert!(a.rest_of_month.unwrap() <= all_open.rest_of_month.unwrap() + 1e-9);
        // Half the month left: half the run-rate at least, never more than the whole forecast.
        assert!(a.rest_of_month.unwrap() >= 0.5 * a.run_rate - 1e-9);
        assert!(all_open.rest_of_month.unwrap() <= a.forecast + 1e-9);
    }
    let (rest, total): (f64, f64) = half
        .people
        .iter()
        .fold((0.0, 0.0), |(r, t), p| (r + p.rest_of_month.unwrap(), t + p.forecast));
    assert!(rest < 0.6 * total, "rest {rest} of a forecast of {total}");
}

#[test]
fn the_rest_of_the_month_counts_only_the_days_a_person_is_still_employed() {
    // December 2025, on the 21st (20 of 31 days past, 11 ahead): one rep who left on the 5th,
    // one who joins on the 25th, one employed throughout. The two who were there won a deal a
    // month; nothing is open, so only the run-rate is left.
    let people = vec![
        Person {
            hire: date(2023, 1, 1),
            leave: Some(date(2025, 12, 5)),
        },
        Person {
            hire: date(2025, 12, 25),
            leave: None,
        },
        Person {
            hire: date(2023, 1, 1),
            leave: None,
        },
    ];
    let month = Month::new(2025, 12).unwrap();
    let deals: Vec<Deal> = (month_index(Month::new(2024, 1).unwrap())..month_index(month))
        .flat_map(|m| {
            [0, 2].map(|owner| Deal {
                owner,
                created: Some(m),
                close: m,
                state: DealState::Won,
                amount: 10_000.0 + 1_000.0 * (m % 3) as f64,
            })
        })
        .collect();
    let f = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month,
        month_elapsed: Some(20.0 / 31.0),
    });
    let of = |i: usize| f.people.iter().find(|p| p.person == i).unwrap();
    assert_eq!(of(0).rest_of_month, Some(0.0));
    // The joiner's 7 days (25th–31st) are all ahead: the rest is their whole month's run-rate.
    let joiner = of(1);
    assert!((joiner.active_share - 7.0 / 31.0).abs() < 1e-12);
    let rest = joiner.rest_of_month.unwrap();
    assert!(
        rest > 0.0 && (rest - joiner.run_rate).abs() < 1e-9 * rest,
        "{rest} vs {}",
        joiner.run_rate
    );
    // Employed throughout: 11 of the 31 days' run-rate.
    let stayer = of(2);
    assert!(stayer.run_rate > 5_000.0, "{}", stayer.run_rate);
    let rest = stayer.rest_of_month.unwrap();
    assert!(
        (rest - stayer.run_rate * 11.0 / 31.0).abs() < 1e-9 * rest.max(1.0),
        "{rest}"
    );
}

#[test]
fn deals_without_an_amount_count_with_the_owners_typical_deal() {
    // Two reps who win ¥10,000 deals; rep 1's open deal has no amount (as in CRMs that only
    // record the value of won deals): it must count like rep 0's ¥10,000 one.
    let people = vec![
        Person {
            hire: date(2024, 1, 1),
            leave: None
        };
        2
    ];
    let m = month_index(Month::new(2026, 3).unwrap());
    let mut deals = Vec::new();
    for owner in 0..2 {
        for k in 1..=10 {
            deals.push(Deal {
                owner,
                created: Some(m - k - 1),
                close: m - k,
                state: DealState::Won,
                amount: 10_000.0,
            });
        }
    }
    deals.push(Deal {
        owner: 0,
        created: Some(m - 1),
        close: m + 1,
        state: DealState::Open,
        amount: 10_000.0,
    });
    deals.push(Deal {
        owner: 1,
        created: Some(m - 1),
        close: m + 1,
        state: DealState::Open,
        amount: 0.0,
    });
    let f = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month: Month::new(2026, 3).unwrap(),
        month_elapsed: None,
    });
    assert!(f.people[0].pipeline > 0.0);
    assert!(
        (f.people[0].pipeline - f.people[1].pipeline).abs() < 1e-6,
        "{:?}",
        f.people
    );
}

#[test]
fn headcount_changes_scale_the_forecast() {
    let month = Month::new(2026, 3).unwrap();
    let people = vec![
        Person {
            hire: date(2024, 1, 1),
            leave: None,
        },
        Person {
            hire: date(2024, 1, 1),
            leave: Some(date(2026, 2, 20)),
        },
        Person {
            hire: date(2024, 1, 1),
            leave: Some(date(2026, 3, 15)),
        },
        Person {
            hire: date(2026, 3, 17),
            leave: None,
        },
        Person {
            hire: date(2026, 5, 1),
            leave: None,
        },
    ];
    let mut deals = Vec::new();
    for owner in 0..3 {
        for m in month_index(Month::new(2024, 3).unwrap())..=month_index(Month::new(2026, 2).unwrap()) {
            deals.push(Deal {
                owner,
                created: Some(m),
                close: m,
                state: DealState::Won,
                amount: 10_000.0,
            });
        }
    }
    let f = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month,
        month_elapsed: None,
    });
    let by: Vec<usize> = f.people.iter().map(|p| p.person).collect();
    assert_eq!(
        by,
        vec![0, 2, 3],
        "the leaver of February and the May joiner are not forecast"
    );
    assert!(
        (f.people[0].forecast - 10_000.0).abs() < 1.0,
        "{}",
        f.people[0].forecast
    );
    assert!((f.people[1].forecast - 10_000.0 * 15.0 / 31.0).abs() < 1.0);
    // The joiner ramps: nobody has a history at tenure 0, so the company level is used, scaled.
    assert!((f.people[2].active_share - 15.0 / 31.0).abs() < 1e-9);
    assert!(f.people[2].forecast > 0.0 && f.people[2].forecast < 10_000.0);
    assert_eq!(f.people[2].method, "pipeline+ramp");
}

#[test]
fn empty_and_degenerate_inputs_do_not_panic() {
    let month = Month::new(2026, 3).unwrap();
    let f = forecast_month(&ForecastInput {
        people: &[],
        deals: &[],
        month,
        month_elapsed: None,
    });
    assert!(f.people.is_empty());
    let people = vec![Person {
        hire: date(2020, 1, 1),
        leave: None,
    }];
    let deals = vec![Deal {
        owner: 7,
        created: None,
        close: 0,
        state: DealState::Won,
        amount: f64::NAN,
    }];
    let f = forecast_month(&ForecastInput {
        people: &people,
        deals: &deals,
        month,
        month_elapsed: None,
    });
    assert_eq!(f.people.len(), 1);
    assert_eq!(f.people[0].forecast, 0.0);
    let bt = backtest(&people, &deals, month, 3, &[]);
    assert_eq!(bt.months.len(), 3);
    assert!(bt.accuracy.iter().all(|a| a.mae == 0.0));
}
