//! Files sent in conversations: which may be sent (decided by their content, not
//! by their name or declared type), where their bytes are kept ([`FileBlobs`], a
//! folder by default; something all nodes share in a cluster), and the signed
//! links that let a visitor's browser fetch one ([`Links`]).
//!
//! A file is stored before the message that carries it, and served only to who
//! may see that message (`http/files.rs`).

mod links;

pub use links::{random_key, Links};

use app::ids::FileId;
use async_trait::async_trait;
use std::path::PathBuf;

/// Largest file accepted by default: 10 MiB (`CHAT_MAX_UPLOAD_BYTES`).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Longest file name kept, in characters (the extension is kept).
pub const MAX_NAME_CHARS: usize = 120;

/// The kinds of file accepted: what the content must start with, the types it
/// may be declared as, and the name endings it may have.
struct Kind {
    content_type: &'static str,
    declared: &'static [&'static str],
    extensions: &'static [&'static str],
    matches: fn(&[u8]) -> bool,
}

const KINDS: &[Kind] = &[
    Kind {
        content_type: "image/png",
        declared: &["image/png"],
        extensions: &["png"],
        matches: |b| b.starts_with(b"\x89PNG\r\n\x1a\n"),
    },
    Kind {
        content_type: "image/jpeg",
        declared: &["image/jpeg", "image/jpg", "image/pjpeg"],
        extensions: &["jpg", "jpeg"],
        matches: |b| b.starts_with(b"\xFF\xD8\xFF"),
    },
    Kind {
        content_type: "image/gif",
        declared: &["image/gif"],
        extensions: &["gif"],
        matches: |b| b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
    },
    Kind {
        content_type: "image/webp",
        declared: &["image/webp"],
        extensions: &["webp"],
        matches: |b| b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
    },
    Kind {
        content_type: "application/pdf",
        declared: &["application/pdf"],
        extensions: &["pdf"],
        matches: |b| b.starts_with(b"%PDF-"),
    },
    Kind {
        content_type: "text/plain; charset=utf-8",
        declared: &["text/plain", "text/csv"],
        extensions: &["txt", "csv", "log"],
        matches: is_plain_text,
    },
];

/// UTF-8 text with no NUL that does not start like markup (a renamed HTML or SVG
/// file is not plain text to any browser that sniffs).
fn is_plain_text(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let start = text.trim_start_matches('\u{feff}').trim_start();
    !text.contains('\0') && !start.starts_with('<')
}

/// Why a file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is empty")]
    Empty,
    #[error("files of this kind cannot be sent: pictures (PNG, JPEG, GIF, WebP), PDF and plain text can")]
    Unsupported,
    #[error("the file's content is not what its type or name says")]
    Mismatch,
}

/// The type of a picture, by its content alone: PNG, JPEG, GIF or WebP.
pub fn picture_type(bytes: &[u8]) -> Option<&'static str> {
    KINDS
        .iter()
        .filter(|k| k.content_type.starts_with("image/"))
        .find(|k| (k.matches)(bytes))
        .map(|k| k.content_type)
}

/// What a file's content is, checked against its declared type and its name.
/// Returns the type it is served with.
pub fn content_type(bytes: &[u8], declared: &str, name: &str) -> Result<&'static str, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    let kind = KINDS
        .iter()
        .find(|k| (k.matches)(bytes))
        .ok_or(Refused::Unsupported)?;
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !kind.declared.contains(&declared.as_str()) || !kind.extensions.contains(&extension.as_str())
    {
        return Err(Refused::Mismatch);
    }
    Ok(kind.content_type)
}

/// A file name as the sender's computer gave it, cleaned: no folders (the part
/// after the last `/` or `\`), no control characters, no leading dots, at most
/// [`MAX_NAME_CHARS`] characters with the extension kept. `None` if nothing is
/// left.
pub fn clean_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        return None;
    }
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return Some(cleaned);
    }
    let (stem, ext) = cleaned.rsplit_once('.').unwrap_or((&cleaned, ""));
    let keep = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    Some(if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    })
}

/// Where the bytes of files are kept, by id.
#[async_trait]
pub trait FileBlobs: Send + Sync + 'static {
    async fn put(&self, id: FileId, bytes: &[u8]) -> std::io::Result<()>;
    async fn get(&self, id: FileId) -> std::io::Result<Option<Vec<u8>>>;
    async fn remove(&self, id: FileId) -> std::io::Result<()>;
}

/// Files in a folder of this machine (`CHAT_FILES_DIR`, default `data/files`),
/// one per id: names never come from what people send.
pub struct LocalFolder {
    dir: PathBuf,
}

impl LocalFolder {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, id: FileId) -> PathBuf {
        self.dir.join(id.to_string())
    }
}

#[async_trait]
impl FileBlobs for LocalFolder {
    async fn put(&self, id: FileId, bytes: &[u8]) -> std::io::Result<()> {
        // Written aside, then renamed: a crash leaves no half file under the id.
        let part = self.dir.join(format!("{id}.part"));
        tokio::fs::write(&part, bytes).await?;
        let file = tokio::fs::File::open(&part).await?;
        file.sync_all().await?;
        tokio::fs::rename(&part, self.path(id)).await
    }

    async fn get(&self, id: FileId) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(id)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    async fn remove(&self, id: FileId) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn a_file_is_what_its_content_is_and_must_say_so() {
        assert_eq!(content_type(PNG, "image/png", "cat.PNG"), Ok("image/png"));
        assert_eq!(
            content_type(b"%PDF-1.7 ...", "application/pdf", "a.pdf"),
            Ok("application/pdf")
        );
        assert_eq!(
            content_type("订单 8812\n".as_bytes(), "text/plain", "note.txt"),
            Ok("text/plain; charset=utf-8")
        );
        // Renamed markup with script, as a picture or as text: refused.
        let html = b"<html><script>alert(1)</script></html>";
        assert_eq!(
            content_type(html, "image/png", "cat.png"),
            Err(Refused::Unsupported)
        );
        assert_eq!(
            content_type(html, "text/plain", "notes.txt"),
            Err(Refused::Unsupported)
        );
        let svg = b"\xEF\xBB\xBF <svg onload=\"alert(1)\"/>";
        assert_eq!(
            content_type(svg, "image/svg+xml", "x.svg"),
            Err(Refused::Unsupported)
        );
        // The declared type or the name disagreeing with the content.
        assert_eq!(
            content_type(PNG, "text/html", "cat.png"),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            content_type(PNG, "image/png", "cat.html"),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            content_type(b"", "text/plain", "a.txt"),
            Err(Refused::Empty)
        );
    }

    #[test]
    fn names_lose_folders_control_characters_and_leading_dots() {
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(
            clean_name("C:\\Users\\a\\发票.pdf").as_deref(),
            Some("发票.pdf")
        );
        assert_eq!(clean_name(".htaccess").as_deref(), Some("htaccess"));
        assert_eq!(clean_name("a\u{0}b\n.txt").as_deref(), Some("ab.txt"));
        assert_eq!(clean_name("../"), None);
        let long = format!("{}.pdf", "x".repeat(300));
        let cut = clean_name(&long).unwrap();
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".pdf"));
    }

    #[tokio::test]
    async fn a_folder_keeps_bytes_by_id_only() {
        let dir = tempfile::tempdir().unwrap();
        let folder = LocalFolder::new(dir.path().join("files")).unwrap();
        let id = FileId(uuid::Uuid::new_v4());
        assert_eq!(folder.get(id).await.unwrap(), None);
        folder.put(id, PNG).await.unwrap();
        assert_eq!(folder.get(id).await.unwrap().as_deref(), Some(PNG));
        folder.remove(id).await.unwrap();
        assert_eq!(folder.get(id).await.unwrap(), None);
    }
}
