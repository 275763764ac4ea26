//! Confounding checks: what explains a driver's clear raw association that the controlled model
//! cannot tell from zero — one of the controls, or another driver it overlaps with.

use super::absorb::{Factor, absorb};
use super::ols::{coef, ols};
use super::stats::correlation;

/// Controls of the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Tenure,
    Department,
    Month,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::Tenure => "tenure",
            Control::Department => "department",
            Control::Month => "month",
        }
    }
}

const ALL_CONTROLS: [Control; 3] = [Control::Tenure, Control::Department, Control::Month];

/// The columns the checks refit with, borrowed from the analysis (none is copied).
pub(super) struct Columns<'a> {
    /// The target, and the same net of the department and month effects.
    pub(super) y: &'a [f64],
    pub(super) y_both: &'a [f64],
    /// Log tenure, and the same net of the department and month effects.
    pub(super) tenure: &'a [f64],
    pub(super) t_both: &'a [f64],
    /// A column of ones (the intercept of the regressions without fixed effects).
    pub(super) ones: &'a [f64],
    pub(super) dept: &'a Factor,
    pub(super) month: &'a Factor,
    /// Parameters the two fixed effects take.
    pub(super) absorbed: usize,
}

/// What explains the association of the driver `z` (`z_both`: net of department and month) that
/// is clear alone but not under the controls. Not distinguishable from zero under the controls
/// alone: the control that, added by itself, takes most of it away. Clear alone and under the
/// controls but not beside the other drivers: the one of `others` (id, z-scores) it is most
/// correlated with.
pub(super) fn explained_by<'o>(
    c: &Columns,
    z: &[f64],
    z_both: &[f64],
    others: impl Iterator<Item = (&'o str, &'o [f64])>,
) -> Option<String> {
    let with_controls = ols(&[z_both, c.t_both], c.y_both, c.absorbed).map(|f| coef(&f, 0).1);
    if with_controls.is_some_and(|pc| pc >= 0.05) {
        ALL_CONTROLS
            .iter()
            .filter_map(|control| {
                let fit = match control {
                    Control::Tenure => ols(&[c.ones, z, c.tenure], c.y, 0),
                    Control::Department => ols(&[&absorb(z, &[c.dept])], &absorb(c.y, &[c.dept]), c.dept.levels),
                    Control::Month => ols(&[&absorb(z, &[c.month])], &absorb(c.y, &[c.month]), c.month.levels),
                }?;
                let idx = if *control == Control::Tenure { 1 } else { 0 };
                Some((control.name(), fit.beta[idx].abs()))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, _)| name.to_string())
    } else {
        others
            .map(|(id, zk)| (id, correlation(zk, z).abs()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id.to_string())
    }
}
