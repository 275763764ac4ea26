//! Policy files: the shipped ones read; a bad one is refused naming its line and field; periods of
//! one city never overlap; a corrected table replaces the one with the same start.

use uplift_payroll::*;

const SHANGHAI: &str = include_str!("../policies/shanghai-2026-07.toml");

#[test]
fn every_shipped_file_reads_and_the_unverified_cities_say_so() {
    let set = shipped();
    assert_eq!(set.cities.len(), 7);
    let unverified: Vec<&str> = set
        .cities
        .iter()
        .filter(|c| !c.quality.verified())
        .map(|c| c.city.as_str())
        .collect();
    assert_eq!(unverified, vec!["guangzhou", "hangzhou", "shenzhen"]);
    assert!(set.cities.iter().all(|c| !c.note.is_empty()));
}

#[test]
fn a_bad_rate_is_refused_at_its_line() {
    let bad = SHANGHAI.replacen("employee_rate = \"8%\"", "employee_rate = \"80\"", 1);
    let e = Policy::parse(&bad).unwrap_err();
    let line = bad.lines().position(|l| l.contains("\"80\"")).unwrap() + 1;
    assert_eq!((e.line, e.field.as_str()), (line, "pension.employee_rate"));
    assert!(
        e.message(uplift_domain::Lang::Zh).contains("比例应在 0 到 1 之间"),
        "{e:?}"
    );

    let bad = SHANGHAI.replacen("cap = 37731", "cap = 1000", 1);
    assert_eq!(Policy::parse(&bad).unwrap_err().field, "pension.cap");
    let bad = SHANGHAI.replacen("kind = \"city\"", "kind = \"town\"", 1);
    assert_eq!(Policy::parse(&bad).unwrap_err().field, "kind");
    let bad = SHANGHAI.replacen("[pension]", "[pension]\nflor = 1", 1);
    let e = Policy::parse(&bad).unwrap_err();
    assert_eq!(e.field, "flor", "{e:?}");
    let bad = SHANGHAI.replacen("effective_from = \"2026-07-01\"", "effective_from = \"2026/07/01\"", 1);
    assert_eq!(Policy::parse(&bad).unwrap_err().field, "effective_from");
}

#[test]
fn overlapping_periods_are_refused_and_corrections_replace() {
    let mut set = shipped();
    // Same start: a correction (the city published new bounds): replaces, count unchanged.
    let corrected = SHANGHAI.replacen("floor = 7546", "floor = 7600", 1);
    set.insert(Policy::parse(&corrected).unwrap()).unwrap();
    assert_eq!(set.cities.len(), 7);
    let d = chrono::NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
    assert_eq!(set.city("shanghai", d).unwrap().schemes[0].unwrap().floor, 760_000);
    // Another start inside the 2025-07 period overlaps.
    let clash = SHANGHAI.replacen("effective_from = \"2026-07-01\"", "effective_from = \"2026-01-01\"", 1);
    let e = set.insert(Policy::parse(&clash).unwrap()).unwrap_err();
    assert!(e.to_string().contains("overlaps"), "{e}");
}
