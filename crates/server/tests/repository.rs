//! The repository stands alone: nothing the product, its examples or its tests read lies outside it.
//! The team's shared folder (contracts, references, datasets) sits beside our own checkouts but not
//! beside a user's clone, so a path into it works for us and fails for everyone else.

use std::path::{Component, Path, PathBuf};

use uplift_testkit::repo_root;

/// Text files under `crates/` and `examples/` (build output and binary files skipped).
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target" || n == "node_modules") {
                continue;
            }
            text_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e,
                "rs" | "toml" | "md" | "html" | "js" | "css" | "sql" | "txt" | "json" | "sh"
            )
        }) {
            out.push(path);
        }
    }
}

/// `base/relative` with `.` and `..` folded away lexically (the target need not exist).
fn resolve(base: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(relative).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The quoted strings after `key` on each line, e.g. `path = "…"` or `include_bytes!("…")`.
fn quoted_after<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find(key) else { continue };
        let rest = &line[at + key.len()..];
        let Some(open) = rest.find('"') else { continue };
        let rest = &rest[open + 1..];
        if let Some(close) = rest.find('"') {
            found.push(&rest[..close]);
        }
    }
    found
}

/// Every way a file could point outside the repository that we have met: the shared folder by name,
/// a manifest or mapping path, or an `include_*!` that climbs out.
fn outside_references(root: &Path, file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    // Built from parts so this file does not match itself.
    let shared = ["..", "/", "shared"].concat();
    let named = ["spec", "reference", "datasets", "design"].map(|d| format!("shared/{d}"));
    for (n, line) in text.lines().enumerate() {
        if line.contains(&shared) || named.iter().any(|p| line.contains(p.as_str())) {
            problems.push(format!(
                "{}:{}: names the shared folder: {}",
                file.display(),
                n + 1,
                line.trim()
            ));
        }
    }
    let dir = file.parent().unwrap_or(root);
    let mut paths = Vec::new();
    if file.extension().is_some_and(|e| e == "toml") {
        for key in ["path =", "mapping ="] {
            paths.extend(quoted_after(text, key));
        }
    }
    if file.extension().is_some_and(|e| e == "rs") {
        for key in ["include_str!(", "include_bytes!("] {
            paths.extend(quoted_after(text, key));
        }
    }
    for p in paths {
        if Path::new(p).is_absolute() || !resolve(dir, p).starts_with(root) {
            problems.push(format!("{}: {p} lies outside the repository", file.display()));
        }
    }
    problems
}

#[test]
fn nothing_under_crates_or_examples_refers_to_a_path_outside_the_repository() {
    let root = resolve(&repo_root(), ".");
    let mut files = Vec::new();
    text_files(&root.join("crates"), &mut files);
    text_files(&root.join("examples"), &mut files);
    assert!(files.len() > 100, "the walk found only {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        if let Ok(text) = std::fs::read_to_string(file) {
            problems.extend(outside_references(&root, file, &text));
        }
    }
    assert!(
        problems.is_empty(),
        "paths outside the repository:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_catches_each_kind_of_outside_reference() {
    let root = PathBuf::from("/repo");
    let toml = Path::new("/repo/examples/x/manifest.toml");
    let climbing = ["path = \"../../..", "/elsewhere/a.csv\"\nmapping = \"m.toml\""].concat();
    assert_eq!(outside_references(&root, toml, &climbing).len(), 1);
    assert!(outside_references(&root, toml, "path = \"data/a.csv\"").is_empty());
    assert_eq!(outside_references(&root, toml, "path = \"/etc/passwd\"").len(), 1);
    let rs = Path::new("/repo/crates/web/src/assets.rs");
    assert!(outside_references(&root, rs, "include_bytes!(\"../static/app.css\")").is_empty());
    assert_eq!(
        outside_references(&root, rs, &["include_str!(\"../../", "../../x.md\")"].concat()).len(),
        1
    );
    let named = ["// see ", "shared/", "spec/metrics.md"].concat();
    assert_eq!(outside_references(&root, rs, &named).len(), 1);
}
