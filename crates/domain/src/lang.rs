//! The two languages Uplift speaks.

use serde::{Deserialize, Serialize};

/// User-facing language. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Picks a language from a locale string such as `zh_CN.UTF-8`, `en_US` or `en`.
    /// Anything that is not English is treated as Chinese, the product's default.
    pub fn from_locale(locale: &str) -> Lang {
        let l = locale.trim().to_ascii_lowercase();
        if l.starts_with("en") { Lang::En } else { Lang::Zh }
    }

    /// Chooses between a Chinese and an English text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}
