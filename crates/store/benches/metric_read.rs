//! Times the stored metric reads on a benchmark-sized table: 10,000 employees × 24 months
//! (240,000 employee-month rows, like the driver-analysis benchmark of `docs/benchmarks.md`).
//!
//! `cargo bench -p uplift-store --bench metric_read` runs on a temporary SQLite file;
//! `BENCH_DATABASE_URL` names another database instead (a SQLite path, or an empty PostgreSQL
//! database, which it fills). Prints the time of each read; nothing is asserted.

use std::time::{Duration, Instant};

use uplift_domain::metric_data::{EmployeeMonthMetrics, UnitMonthMetrics};
use uplift_domain::records::{Employee, ImportKind, Record};
use uplift_store::{MetricFilter, Store};

const EMPLOYEES: i64 = 10_000;
const MONTHS: i32 = 24;
const RUNS: usize = 7;

/// A deterministic spread of values: the same table on every run.
fn mix(a: i64, b: i64) -> u64 {
    let mut x = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

fn month_key(i: i32) -> i32 {
    let m = 2024 * 12 + 10 + i; // 2024-11 …
    (m / 12) * 100 + m % 12 + 1
}

fn row(employee_id: i64, month: i32) -> EmployeeMonthMetrics {
    let h = mix(employee_id, month as i64);
    let f = |shift: u32| ((h >> shift) & 0xFFFF) as f64 / 65_536.0;
    let some = |shift: u32| ((h >> shift) & 3 != 0).then(|| f(shift));
    EmployeeMonthMetrics {
        employee_id,
        month,
        days_employed: 30,
        fte: 1.0,
        contribution_fen: (h % 10_000_000) as i64,
        orders_won: (h % 7) as i64,
        per_capita_contribution: some(3),
        avg_deal_size: some(5),
        target_fen: Some((h % 5_000_000) as i64),
        quota_attainment: some(7),
        pipeline_fen: (h % 3_000_000) as i64,
        leads_received: (h % 40) as i64,
        leads_converted: (h % 9) as i64,
        lead_conversion_rate: some(11),
        deals_lost: (h % 4) as i64,
        win_rate: some(13),
        followups: (h % 90) as i64,
        followups_per_week: some(17),
        first_response_hours: some(19),
        leads_contacted_24h: (h % 30) as i64,
        contacted_within_24h_rate: some(23),
        tenure_months: Some((h % 120) as i64),
        trainings_assigned_to_date: 3,
        trainings_done_to_date: (h % 4) as i64,
        training_completion_rate: some(29),
        trainings_completed: (h % 2) as i64,
        appraisal_score: some(31),
        cadence_days: 20.0,
        cadence_days_on_time: 15.0,
        cadence_compliance: some(37),
        presale_cadence_days: 10.0,
        presale_cadence_days_on_time: 8.0,
        presale_cadence_compliance: some(41),
    }
}

async fn fill(store: &Store) {
    let mut tx = store.begin_import(chrono_tz::Asia::Shanghai).await.expect("begin");
    tx.start_kind(ImportKind::Roster, &["employee_no", "name", "department", "hire_date"])
        .await
        .expect("start");
    let people: Vec<Record> = (0..EMPLOYEES)
        .map(|i| {
            Record::Employee(Employee {
                employee_no: format!("E{i:05}"),
                name: format!("员工{i}"),
                department: Some(format!("销售中心/大区{}/团队{}", i % 10, i / 50)),
                position: None,
                role_family: None,
                hire_date: "2020-01-01".parse().expect("date"),
                leave_date: None,
                manager_no: None,
                email: None,
                mobile: None,
                city: None,
                crm_user_id: None,
                industry_experience: None,
                birth_date: None,
                gender: None,
                attributes: Default::default(),
            })
        })
        .collect();
    tx.write(people).await.expect("roster");
    tx.finish_kind().await.expect("finish");
    tx.commit().await.expect("commit");
    let ids: Vec<i64> = store
        .employee_keys()
        .await
        .expect("keys")
        .iter()
        .map(|e| e.id)
        .collect();
    let months: Vec<i32> = (0..MONTHS).map(month_key).collect();
    let rows: Vec<EmployeeMonthMetrics> = months
        .iter()
        .flat_map(|&m| ids.iter().map(move |&id| row(id, m)))
        .collect();
    let units: Vec<UnitMonthMetrics> = months
        .iter()
        .map(|&m| UnitMonthMetrics {
            month: m,
            headcount_avg: EMPLOYEES as f64,
            members: EMPLOYEES,
            ..Default::default()
        })
        .collect();
    store.replace_metrics(&months, &rows, &units).await.expect("metrics");
}

/// CPU time of this process so far (all threads, the SQLite driver's included), from
/// `/proc/self/stat` in clock ticks of 10 ms; `None` where that file does not exist. On a busy
/// machine it varies less than the wall-clock time.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Runs `read` [`RUNS`] times and prints its wall-clock and CPU times.
async fn time<F, Fut>(what: &str, read: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let (mut wall, mut cpu, mut rows) = (Vec::new(), Vec::new(), 0);
    for _ in 0..RUNS {
        let (t, c) = (Instant::now(), cpu_time());
        rows = read().await;
        wall.push(t.elapsed());
        if let (Some(a), Some(b)) = (c, cpu_time()) {
            cpu.push(b - a);
        }
    }
    wall.sort();
    cpu.sort();
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{what:<30} {rows:>7} rows  wall min {:>7.1} ms, median {:>7.1} ms  cpu min {:>7.1} ms, median {:>7.1} ms",
        ms(wall.first()),
        ms(wall.get(RUNS / 2)),
        ms(cpu.first()),
        ms(cpu.get(cpu.len() / 2)),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only check it runs.
    let quick = !std::env::args().any(|a| a == "--bench");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let url =
            std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| dir.path().join("bench.db").display().to_string());
        let store = Store::connect(&url).await.expect("open");
        if quick {
            store
                .employee_metrics_for_analysis(&MetricFilter::default())
                .await
                .expect("read");
            return;
        }
        let t = Instant::now();
        fill(&store).await;
        println!("filled the tables in {:.1} s", t.elapsed().as_secs_f64());
        let all = MetricFilter::default();
        time("employee_metrics_for_analysis", || async {
            store.employee_metrics_for_analysis(&all).await.expect("read").len()
        })
        .await;
        time("employee_metrics", || async {
            store.employee_metrics(&all).await.expect("read").len()
        })
        .await;
        time("unit_metrics", || async {
            store.unit_metrics(&all).await.expect("read").len()
        })
        .await;
        store.close().await;
    });
}
