//! Forecasts and backtests on the terminal.

use uplift_app::forecast::{BacktestResult, ForecastResult};
use uplift_domain::Lang;

use super::{line, money_text};

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

/// A table for the terminal.
pub fn forecast(fc: &ForecastResult, lang: Lang) -> String {
    let t = &fc.total;
    let mut out = format!(
        "{} {} · {} {} · {} {} ({} {:.1})\n{} {} ({} {}–{}) · {} {}{}\n{}\n\n",
        lang.pick("预测月份", "forecast for"),
        fc.month,
        lang.pick("数据截至", "data up to"),
        fc.based_on,
        t.people,
        lang.pick("人", "people"),
        lang.pick("预计人力", "expected FTE"),
        t.fte,
        lang.pick("合计", "total"),
        money_text(t.forecast),
        lang.pick("80% 区间", "80% interval"),
        money_text(t.low),
        money_text(t.high),
        lang.pick("人均", "per capita"),
        t.per_capita.map_or("—".into(), money_text),
        t.target
            .map(|g| format!(" · {} {} ({})", lang.pick("目标", "target"), money_text(g), pct(t.attainment)))
            .unwrap_or_default(),
        lang.pick(
            "方法：期初在途商机 × 按商机存续月数的成交时点 × 个人赢单率（向公司收缩）+ 月内新增成交的指数平滑；入离职按在岗天数折算。",
            "Method: open pipeline × chance of closing by deal age × the rep's win rate (shrunk to the company's) + exponential smoothing of business created and won within a month; joiners and leavers count by days employed."
        ),
    );
    const TEAM: [i32; 6] = [-28, 6, 12, 12, 12, 8];
    out.push_str(&line(
        &[
            lang.pick("部门", "department"),
            lang.pick("人数", "people"),
            lang.pick("预测", "forecast"),
            lang.pick("人均", "per capita"),
            lang.pick("目标", "target"),
            lang.pick("达成", "attain."),
        ],
        &TEAM,
    ));
    for g in &fc.teams {
        out.push_str(&line(
            &[
                g.department.as_deref().unwrap_or("—"),
                &g.people.to_string(),
                &money_text(g.forecast),
                &g.per_capita.map_or("—".into(), money_text),
                &g.target.map_or("—".into(), money_text),
                &pct(g.attainment),
            ],
            &TEAM,
        ));
    }
    out.push('\n');
    const PERSON: [i32; 8] = [-10, -10, 11, 11, 11, 11, 9, 6];
    out.push_str(&line(
        &[
            lang.pick("工号", "employee"),
            lang.pick("姓名", "name"),
            lang.pick("预测", "forecast"),
            lang.pick("下限", "low"),
            lang.pick("上限", "high"),
            lang.pick("在途商机", "pipeline"),
            lang.pick("目标达成", "attain."),
            lang.pick("在岗", "active"),
        ],
        &PERSON,
    ));
    for l in &fc.people {
        out.push_str(&line(
            &[
                &l.employee_no,
                &l.name,
                &money_text(l.forecast),
                &money_text(l.low),
                &money_text(l.high),
                &money_text(l.pipeline),
                &pct(l.attainment),
                &pct(Some(l.active_share)),
            ],
            &PERSON,
        ));
    }
    out
}

pub fn backtest(bt: &BacktestResult, lang: Lang) -> String {
    const ACC: [i32; 6] = [-18, 12, 8, 12, 10, 10];
    const MONTH: [i32; 6] = [-8, 6, 13, 13, 13, 13];
    let mut out = format!("{} {}–{}\n", lang.pick("回测", "backtest"), bt.from, bt.to);
    out.push_str(&line(
        &[
            lang.pick("方法", "method"),
            "MAE",
            "MAPE",
            lang.pick("偏差", "bias"),
            lang.pick("合计误差", "total err"),
            lang.pick("80%覆盖", "80% cover"),
        ],
        &ACC,
    ));
    for a in &bt.accuracy {
        out.push_str(&line(
            &[
                BacktestResult::method_label(&a.method, lang),
                &money_text(a.mae),
                &pct(a.mape.is_finite().then_some(a.mape)),
                &money_text(a.bias),
                &pct(Some(a.total_error)),
                &pct(a.coverage_80),
            ],
            &ACC,
        ));
    }
    out.push('\n');
    out.push_str(&line(
        &[
            lang.pick("月份", "month"),
            lang.pick("人数", "people"),
            lang.pick("实际", "actual"),
            lang.pick("预测", "forecast"),
            lang.pick("上月值", "last month"),
            lang.pick("近3月均值", "mean of 3"),
        ],
        &MONTH,
    ));
    for m in &bt.months {
        out.push_str(&line(
            &[
                &m.month,
                &m.people.to_string(),
                &money_text(m.actual_total),
                &money_text(m.forecast_total),
                &money_text(m.last_month_total),
                &money_text(m.mean3_total),
            ],
            &MONTH,
        ));
    }
    out.push_str(lang.pick(
        "MAE/偏差按人月计；MAPE 只计实际大于 0 的人月；合计误差 = 公司合计的相对误差（月均）。\n",
        "MAE/bias per person-month; MAPE over person-months with an actual above 0; total err = relative error of the company total (mean over months).\n",
    ));
    out
}
