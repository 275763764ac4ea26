//! Metric identifiers of the contract (`docs/spec/metrics.md`): the names used in the API,
//! CLI output and exports, with the labels users see.

use serde::{Deserialize, Serialize};

use crate::Lang;

/// How a metric's value is read and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// Yuan, two decimals.
    Money,
    /// A whole count.
    Count,
    /// A fraction in [0, 1], shown as a percentage.
    Rate,
    /// Hours, four decimals.
    Hours,
    /// Any other number.
    Number,
}

macro_rules! metrics {
    ($($variant:ident => $id:literal, $zh:literal, $en:literal, $unit:ident;)*) => {
        /// One metric of the contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum MetricId { $($variant),* }

        impl MetricId {
            /// Every metric, in the order columns are printed.
            pub const ALL: &'static [MetricId] = &[$(MetricId::$variant),*];

            /// The identifier, e.g. `per_capita_contribution`.
            pub fn id(self) -> &'static str {
                match self { $(MetricId::$variant => $id),* }
            }

            /// The label users see.
            pub fn label(self, lang: Lang) -> &'static str {
                match self { $(MetricId::$variant => lang.pick($zh, $en)),* }
            }

            pub fn unit(self) -> MetricUnit {
                match self { $(MetricId::$variant => MetricUnit::$unit),* }
            }
        }
    };
}

metrics! {
    Fte => "fte", "在岗折算人数", "FTE", Number;
    Contribution => "contribution", "贡献额", "Contribution", Money;
    OrdersWon => "orders_won", "成单数", "Orders won", Count;
    PerCapitaContribution => "per_capita_contribution", "人均贡献额", "Per-capita contribution", Money;
    AvgDealSize => "avg_deal_size", "客单价", "Average deal size", Money;
    QuotaAttainment => "quota_attainment", "目标达成率", "Quota attainment", Rate;
    PipelineValue => "pipeline_value", "在手商机金额", "Pipeline value", Money;
    LeadsReceived => "leads_received", "分配线索数", "Leads received", Count;
    LeadConversionRate => "lead_conversion_rate", "线索转化率", "Lead conversion rate", Rate;
    WinRate => "win_rate", "赢单率", "Win rate", Rate;
    Followups => "followups", "跟进次数", "Follow-ups", Count;
    FollowupsPerWeek => "followups_per_week", "周均跟进次数", "Follow-ups per week", Number;
    FirstResponseHours => "first_response_hours", "首次响应时长", "First response (hours)", Hours;
    ContactedWithin24hRate => "contacted_within_24h_rate", "24小时触达率", "Contacted within 24h", Rate;
    CadenceCompliance => "cadence_compliance", "跟进节奏达标率", "Cadence compliance", Rate;
    PresaleCadenceCompliance => "presale_cadence_compliance", "售前跟进节奏达标率", "Pre-sale cadence compliance", Rate;
    TenureMonths => "tenure_months", "司龄", "Tenure (months)", Count;
    TrainingCompletionRate => "training_completion_rate", "培训完成率", "Training completion rate", Rate;
    TrainingsCompleted => "trainings_completed", "完成课程数", "Trainings completed", Count;
    AppraisalScore => "appraisal_score", "绩效得分", "Appraisal score", Number;
}

impl MetricId {
    /// Finds a metric by identifier.
    pub fn parse(id: &str) -> Option<MetricId> {
        MetricId::ALL.iter().copied().find(|m| m.id() == id.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for m in MetricId::ALL {
            assert_eq!(MetricId::parse(m.id()), Some(*m));
        }
        assert_eq!(MetricId::PerCapitaContribution.label(Lang::Zh), "人均贡献额");
        assert_eq!(MetricId::ALL.len(), 20);
    }
}
