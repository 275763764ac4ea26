//! The OpenAPI document and the docs page.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{MONTH, api_get, client, demo, get};

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_a_token_reads_metrics() {
    let d = demo().await;
    let app = &d.app;
    let (s, doc) = get(&client(), &app.url("/api/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/me",
        "/api/v1/employees",
        "/api/v1/employees/{employee_no}",
        "/api/v1/departments",
        "/api/v1/metrics",
        "/api/v1/leaderboard",
        "/api/v1/leads",
        "/api/v1/opportunities",
        "/api/v1/followups",
        "/api/v1/imports",
        "/api/v1/imports/{id}",
        "/api/v1/insights/drivers",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(paths["/api/v1/imports"].get("post").is_some());
    let params: Vec<&str> = paths["/api/v1/metrics"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "month",
        "from",
        "to",
        "employee",
        "department",
        "metric",
        "page",
        "per_page",
    ] {
        assert!(params.contains(&p), "metrics parameter {p} undocumented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

    // The docs page and its assets are served by Uplift itself.
    let (s, html) = get(&client(), &app.url("/api/docs")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from the internet"
    );
    for asset in [
        "/static/vendor/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui.css",
        "/static/api-docs.js",
    ] {
        assert!(html.contains(asset));
        let r = client().get(app.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert!(r.bytes().await.unwrap().len() > 20);
    }

    // A bearer token reads the metrics of a month, matching the stored table.
    let (_, token) = uplift_app::access::create_token(
        &app.db.store,
        "bi",
        uplift_domain::access::Role::Hr,
        None,
        None,
        "test",
        uplift_domain::Lang::En,
    )
    .await
    .unwrap();
    let (s, v) = api_get(
        &token,
        &app.url(&format!(
            "/api/v1/metrics?month={MONTH}&metric=contribution&per_page=500"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let api_total: f64 = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["contribution"].as_f64().unwrap())
        .sum();
    let stored = app
        .db
        .store
        .employee_metrics(&uplift_store::MetricFilter {
            from: uplift_domain::Month::parse(MONTH).ok(),
            to: uplift_domain::Month::parse(MONTH).ok(),
            ..Default::default()
        })
        .await
        .unwrap();
    let stored_total: f64 = stored.iter().map(|r| r.metrics.contribution_fen as f64 / 100.0).sum();
    assert!(stored_total > 0.0);
    assert!(
        (api_total - stored_total).abs() < 0.005,
        "{api_total} vs {stored_total}"
    );
    assert_eq!(v["total"].as_u64().unwrap() as usize, stored.len());

    // Driver analysis over the API, in English; an unknown target names the parameter.
    let (s, v) = api_get(
        &token,
        &app.url("/api/v1/insights/drivers?target=lead_conversion_rate&lang=en"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["target"], "lead_conversion_rate");
    assert!(v["drivers"].as_array().is_some_and(|d| !d.is_empty()));
    assert!(
        v["drivers"][0]["explanation"].as_str().unwrap().is_ascii(),
        "{}",
        v["drivers"][0]["explanation"]
    );
    let (s, v) = api_get(&token, &app.url("/api/v1/insights/drivers?target=happiness")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "target");

    // Paging: two pages of 5 cover the first ten rows without overlap.
    let (_, p1) = api_get(
        &token,
        &app.url(&format!("/api/v1/metrics?month={MONTH}&per_page=5&page=1")),
    )
    .await;
    let (_, p2) = api_get(
        &token,
        &app.url(&format!("/api/v1/metrics?month={MONTH}&per_page=5&page=2")),
    )
    .await;
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["employee_no"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&p1).len(), 5);
    assert!(ids(&p1).iter().all(|x| !ids(&p2).contains(x)));
}
