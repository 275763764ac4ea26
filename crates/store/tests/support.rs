use uplift_domain::records::{Employee, ImportKind, Record};
use uplift_store::Store;

/// Writes roster rows (employee number, name, department path) through the store's import, as
/// a roster file with those columns would, and commits them.
pub async fn write_roster(store: &Store, people: &[(&str, &str, Option<&str>)]) {
    let mut tx = store
        .begin_import(uplift_domain::time::DEFAULT_TZ)
        .await
        .expect("begin import");
    tx.start_kind(ImportKind::Roster, &["employee_no", "name", "department", "hire_date"])
        .await
        .expect("start roster");
    let records = people
        .iter()
        .map(|(no, name, department)| {
            Record::Employee(Employee {
                employee_no: no.to_string(),
                name: name.to_string(),
                department: department.map(str::to_string),
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
    tx.write(records).await.expect("write roster");
    tx.finish_kind().await.expect("finish roster");
    tx.commit().await.expect("commit roster");
}

/// The ids of all employees, ordered by employee number.
pub async fn employee_ids(store: &Store) -> Vec<i64> {
    store
        .employee_keys()
        .await
        .expect("employee keys")
        .iter()
        .map(|e| e.id)
        .collect()
}
