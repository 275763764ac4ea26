//! Uploaded import files: read from a multipart form, kept in the upload folder between the
//! preview (a full check that writes nothing) and the commit (the real import, all or nothing).

use std::path::{Path, PathBuf};

use axum::extract::Multipart;
use uplift_app::access;
use uplift_app::import::{ImportFile, ImportReport, check_files, import_files};
use uplift_domain::Lang;
use uplift_domain::records::ImportKind;
use uplift_io::Mapping;

use crate::AppState;
use crate::auth::Caller;
use crate::error::Failure;

/// The fields of an upload form.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub csrf: Option<String>,
    pub kind: Option<String>,
    pub file: Option<(String, Vec<u8>)>,
    pub mapping: Option<(String, Vec<u8>)>,
}

fn bad_multipart(e: impl std::fmt::Display, lang: Lang) -> Failure {
    Failure::bad(
        format!("{}: {e}", lang.pick("上传内容无法读取", "the upload could not be read")),
        "file",
    )
}

/// Reads an upload form; a broken or oversized body is a 400 with the reason, never a panic.
pub async fn read_form(mut mp: Multipart, lang: Lang) -> Result<UploadForm, Failure> {
    let mut f = UploadForm::default();
    while let Some(field) = mp.next_field().await.map_err(|e| bad_multipart(e, lang))? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| bad_multipart(e, lang))?;
        match name.as_str() {
            "_csrf" => f.csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "kind" => f.kind = Some(String::from_utf8_lossy(&bytes).trim().to_string()),
            // An empty file that was chosen is still a file: the importer says it is empty.
            "file" if !bytes.is_empty() || file_name.as_deref().is_some_and(|n| !n.is_empty()) => {
                f.file = Some((file_name.unwrap_or_else(|| "upload.csv".into()), bytes.to_vec()))
            }
            "mapping" if !bytes.is_empty() => {
                f.mapping = Some((file_name.unwrap_or_else(|| "mapping.toml".into()), bytes.to_vec()))
            }
            _ => {}
        }
    }
    Ok(f)
}

/// An upload waiting in its own folder.
#[derive(Debug, Clone)]
pub struct Staged {
    pub id: String,
    pub dir: PathBuf,
    pub file_name: String,
    pub kind: ImportKind,
    pub has_mapping: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    file_name: String,
    kind: String,
    owner: String,
    has_mapping: bool,
}

/// Keeps only a file name's last component, without characters that mean something to a shell
/// or a file system; the extension (how the file is read) survives.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"|?*".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "upload.csv".into()
    } else {
        cleaned
    }
}

pub fn parse_kind(kind: Option<&str>, lang: Lang) -> Result<ImportKind, Failure> {
    let k = kind.unwrap_or("");
    ImportKind::parse(k).ok_or_else(|| {
        Failure::bad(
            format!(
                "{}: \"{k}\" ({})",
                lang.pick("未知的数据类型", "unknown kind of data"),
                ImportKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "kind",
        )
    })
}

/// Saves an upload in a new folder named by a random id.
pub fn stage(s: &AppState, form: &UploadForm, actor: &str, lang: Lang) -> Result<Staged, Failure> {
    let kind = parse_kind(form.kind.as_deref(), lang)?;
    let Some((name, bytes)) = &form.file else {
        return Err(Failure::bad(
            lang.pick("请选择要上传的文件", "choose a file to upload"),
            "file",
        ));
    };
    sweep_stale(&s.upload_dir);
    let id = access::random_token();
    let dir = s.upload_dir.join(&id);
    let io = |e: std::io::Error| Failure::Internal(format!("upload folder {}: {e}", dir.display()));
    // The file keeps its name (errors cite it) in a folder of its own, apart from meta.json.
    std::fs::create_dir_all(dir.join("file")).map_err(io)?;
    let file_name = safe_file_name(name);
    std::fs::write(dir.join("file").join(&file_name), bytes).map_err(io)?;
    if let Some((_, m)) = &form.mapping {
        std::fs::write(dir.join("mapping.toml.upload"), m).map_err(io)?;
    }
    let meta = Meta {
        file_name: file_name.clone(),
        kind: kind.as_str().into(),
        owner: actor.into(),
        has_mapping: form.mapping.is_some(),
    };
    std::fs::write(dir.join("meta.json"), serde_json::to_vec(&meta).unwrap_or_default()).map_err(io)?;
    Ok(Staged {
        id,
        dir,
        file_name,
        kind,
        has_mapping: form.mapping.is_some(),
    })
}

/// Finds a staged upload of this user. Ids are checked to be ours (hex) before touching a path.
pub fn load(s: &AppState, id: &str, actor: &str, lang: Lang) -> Result<Staged, Failure> {
    let gone = || {
        Failure::NotFound(
            lang.pick(
                "上传已过期或不存在，请重新上传",
                "the upload has expired or does not exist; upload again",
            )
            .into(),
        )
    };
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone());
    }
    let dir = s.upload_dir.join(id);
    let meta: Meta = std::fs::read(dir.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(gone)?;
    if meta.owner != actor {
        return Err(Failure::Forbidden);
    }
    Ok(Staged {
        id: id.to_string(),
        dir,
        kind: ImportKind::parse(&meta.kind).ok_or_else(gone)?,
        file_name: meta.file_name,
        has_mapping: meta.has_mapping,
    })
}

fn import_file(st: &Staged, lang: Lang) -> Result<ImportFile, Failure> {
    let mapping = if st.has_mapping {
        let p = st.dir.join("mapping.toml.upload");
        Some(Mapping::load(&p, Some(st.kind)).map_err(|i| Failure::bad(i.render(lang), "mapping"))?)
    } else {
        None
    };
    Ok(ImportFile {
        path: st.dir.join("file").join(&st.file_name),
        kind: st.kind,
        mapping,
        sheet: None,
    })
}

/// Checks a staged file as the import would, writing nothing. A file with problems cannot be
/// committed, so its upload is removed at once.
pub async fn check(s: &AppState, st: &Staged, lang: Lang) -> Result<ImportReport, Failure> {
    let result = match import_file(st, lang) {
        Ok(f) => check_files(&s.store, vec![f], &|_, _| {})
            .await
            .map_err(|e| app_failure(e, lang)),
        Err(e) => Err(e),
    };
    if !matches!(&result, Ok(r) if r.total_issues() == 0) {
        remove(&st.dir);
    }
    result
}

/// How long an upload waits for its commit.
const UPLOAD_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes uploads nobody committed within [`UPLOAD_TTL`].
fn sweep_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > UPLOAD_TTL);
        let ours = e
            .file_name()
            .to_str()
            .is_some_and(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()));
        if old && ours {
            remove(&e.path());
        }
    }
}

/// Imports a staged file in one transaction; the upload is removed once committed.
pub async fn commit(s: &AppState, st: &Staged, c: &Caller, lang: Lang) -> Result<ImportReport, Failure> {
    let f = import_file(st, lang)?;
    let report = import_files(&s.store, vec![f], Vec::new(), false, &|_, _| {})
        .await
        .map_err(|e| app_failure(e, lang))?;
    let file = report.files.first();
    let detail = format!(
        "kind={} committed={} inserted={} updated={} problems={}",
        st.kind.as_str(),
        report.committed,
        file.map(|f| f.inserted).unwrap_or(0),
        file.map(|f| f.updated).unwrap_or(0),
        report.total_issues()
    );
    access::audit_by(
        &s.store,
        &c.principal,
        "import",
        Some(&st.file_name),
        Some(&detail),
        c.ip(),
    )
    .await
    .map_err(|e| app_failure(e, lang))?;
    if report.committed {
        remove(&st.dir);
    }
    Ok(report)
}

fn remove(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        tracing::warn!(dir = %dir.display(), %e, "could not remove an upload folder");
    }
}

fn app_failure(e: uplift_app::AppError, lang: Lang) -> Failure {
    match e {
        uplift_app::AppError::Store(s) => Failure::Internal(s.to_string()),
        other => Failure::bad(other.render(lang), "file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_the_upload_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\x\\花名册.csv"), "花名册.csv");
        assert_eq!(safe_file_name(".."), "upload.csv");
        assert_eq!(safe_file_name("a<b>.xlsx"), "a_b_.xlsx");
    }
}
