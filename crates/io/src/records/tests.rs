//! Tests of `records`.

#[test]
fn ids_are_normalised_and_bounded() {
    assert_eq!(normalise_id("E1002\u{200B}"), "E1002");
    assert_eq!(normalise_id("\u{FEFF}Ｅ１００２ "), "E1002");
    assert_eq!(normalise_id("00Q\u{00AD}1"), "00Q1");
    assert_eq!(normalise_id("E1002"), "E1002");
}

use super::*;

#[test]
fn department_paths_are_checked() {
    use crate::error::DepartmentRule::*;
    assert_eq!(checked_department(" 销售中心 / 华东 ").as_deref(), Ok("销售中心/华东"));
    assert_eq!(checked_department("///"), Err(NoName));
    assert_eq!(checked_department("../../etc/passwd"), Err(DotLevel));
    assert_eq!(
        checked_department(&"a/".repeat(2000)),
        Err(TooDeep(MAX_DEPARTMENT_DEPTH))
    );
    assert_eq!(
        checked_department(&"部".repeat(65)),
        Err(NameTooLong(MAX_DEPARTMENT_NAME))
    );
    assert!(checked_department(&"部".repeat(64)).is_ok());
    assert!(checked_department(&["a"; MAX_DEPARTMENT_DEPTH].join("/")).is_ok());
}
