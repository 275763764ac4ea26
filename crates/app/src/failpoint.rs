//! Named points where the process can be made to die as if killed, for the crash tests
//! (`crates/server/tests/crash.rs`): `UPLIFT_FAILPOINT=import.after_commit uplift import …` exits
//! at once with status 137 — no destructors, no rollback, no recompute — at a moment a timed
//! `kill -9` hits only by chance. Unset (always, in use), a failpoint is one comparison.

use std::sync::OnceLock;

/// Just before an import's transaction commits: everything written, nothing committed.
pub const IMPORT_BEFORE_COMMIT: &str = "import.before_commit";
/// Just after an import's commit, before CRM users are relinked and metrics recomputed.
pub const IMPORT_AFTER_COMMIT: &str = "import.after_commit";
/// After a recompute wrote its first chunk of months, before the rest.
pub const RECOMPUTE_AFTER_FIRST_CHUNK: &str = "recompute.after_first_chunk";

pub(crate) fn hit(name: &str) {
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    if CHOSEN.get_or_init(|| std::env::var("UPLIFT_FAILPOINT").ok()).as_deref() == Some(name) {
        eprintln!("failpoint {name}: exiting as if killed");
        std::process::exit(137);
    }
}
