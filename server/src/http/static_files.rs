//! Files served as they are: the built site under `/pkg` (WebAssembly, JavaScript,
//! CSS) and the assets compiled into the binary (the widget loader, the demo
//! site's style sheet, the icon).
//!
//! Every file is read once, at start, with its Brotli and gzip forms: for the site
//! those are made at build time (`server compress-site`, see [`compress_site`]),
//! for the embedded assets at start. A request gets the best form its
//! `Accept-Encoding` allows, never compressed per request. Every answer has an
//! `ETag`, and `If-None-Match` gets `304 Not Modified`. File names that carry a
//! content hash (cargo-leptos `hash-files`) are cached for a year as immutable;
//! the rest (the loader above all) for a short while, so that a deploy reaches
//! every site within minutes.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `Cache-Control` of a file whose name carries its content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the loader and other files whose names stay the same: a
/// deploy reaches every embedding site within five minutes; after that the
/// browser asks again and, if nothing changed, gets a 304.
pub const SHORT: &str = "public, max-age=300";
/// Files smaller than this are not worth compressing.
const MIN_COMPRESS_BYTES: usize = 256;

/// One file in all the forms it is served in.
#[derive(Clone, Debug)]
pub struct Asset {
    content_type: &'static str,
    cache_control: &'static str,
    etag: HeaderValue,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

/// The compressed forms a client accepts, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// Reads `Accept-Encoding` (with `q` weights; `q=0` refuses) and picks the best
/// form there is: Brotli, then gzip, then none.
fn negotiate(headers: &HeaderMap, has_brotli: bool, has_gzip: bool) -> Encoding {
    let mut brotli = false;
    let mut gzip = false;
    for part in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut pieces = part.split(';');
        let name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .any(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0));
        match name.as_str() {
            "br" => brotli = !refused,
            "gzip" | "x-gzip" => gzip = !refused,
            "*" if !refused => {
                brotli = true;
                gzip = true;
            }
            _ => {}
        }
    }
    if brotli && has_brotli {
        Encoding::Brotli
    } else if gzip && has_gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/wasm")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg")
}

/// Whether a file name carries a content hash: `name.<hash>.ext`, the hash 16 or
/// more characters of URL-safe base64 (as cargo-leptos writes them) or hex (as
/// [`hashed_name`] does).
pub fn has_content_hash(name: &str) -> bool {
    let mut parts = name.rsplit('.');
    let _extension = parts.next();
    let hash = parts.next();
    parts.next().is_some()
        && hash.is_some_and(|hash| {
            hash.len() >= 16
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `stem.<first 64 bits of the SHA-256 of data, in hex>.ext`.
pub fn hashed_name(stem: &str, ext: &str, data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    format!("{stem}.{}.{ext}", hex::encode(&digest[..8]))
}

pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        // Quality 11 (the best), window 22: what static files are usually given.
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        // Writing into a Vec cannot fail.
        writer.write_all(data).expect("compressing into memory");
    }
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    encoder.write_all(data).expect("compressing into memory");
    encoder.finish().expect("compressing into memory")
}

impl Asset {
    /// An asset compiled into the binary: compressed here, once.
    pub fn embedded(name: &str, data: &'static [u8], cache_control: &'static str) -> Asset {
        let content_type = content_type(Path::new(name));
        let worth = compressible(content_type) && data.len() >= MIN_COMPRESS_BYTES;
        Asset {
            content_type,
            cache_control,
            etag: etag(data),
            identity: Bytes::from_static(data),
            brotli: worth.then(|| Bytes::from(brotli(data))),
            gzip: worth.then(|| Bytes::from(gzip(data))),
        }
    }

    /// A file of the built site, with the `.br` and `.gz` beside it if there are.
    fn read(path: &Path) -> std::io::Result<Asset> {
        let identity = std::fs::read(path)?;
        let sibling = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(PathBuf::from(name)).ok().map(Bytes::from)
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Ok(Asset {
            content_type: content_type(path),
            cache_control: if has_content_hash(name) {
                IMMUTABLE
            } else {
                SHORT
            },
            etag: etag(&identity),
            brotli: sibling(".br"),
            gzip: sibling(".gz"),
            identity: Bytes::from(identity),
        })
    }

    /// The answer to a GET with these request headers.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let fresh = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/") == self.etag
            });
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let (body, encoding) =
                match negotiate(request, self.brotli.is_some(), self.gzip.is_some()) {
                    Encoding::Brotli => (self.brotli.clone(), Some("br")),
                    Encoding::Gzip => (self.gzip.clone(), Some("gzip")),
                    Encoding::Identity => (None, None),
                };
            let mut response =
                Response::new(Body::from(body.unwrap_or_else(|| self.identity.clone())));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        if self.brotli.is_some() || self.gzip.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        response
    }
}

/// A strong ETag from the content: the first 128 bits of its SHA-256.
fn etag(data: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(data);
    let tag = format!("\"{}\"", hex::encode(&digest[..16]));
    // Hex digits and quotes are valid header characters.
    HeaderValue::from_str(&tag).expect("hex is a valid header value")
}

/// The built site's `/pkg` files, by name, read at start. A file that appears
/// later (`cargo leptos watch` rebuilt the site under new names) is read from
/// disk when asked for.
#[derive(Debug, Default)]
pub struct SiteFiles {
    dir: PathBuf,
    files: HashMap<String, Asset>,
}

impl SiteFiles {
    /// Reads every file of `dir` (the site's `pkg` folder). A missing folder is
    /// an empty site (the server still serves the demo and the API).
    pub fn load(dir: &Path) -> std::io::Result<SiteFiles> {
        let mut files = HashMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "no built site to serve");
                return Ok(SiteFiles {
                    dir: dir.to_owned(),
                    files,
                });
            }
            Err(err) => return Err(err),
        };
        for entry in entries {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let variant = name.ends_with(".br") || name.ends_with(".gz");
            if path.is_file() && !variant {
                files.insert(name, Asset::read(&path)?);
            }
        }
        Ok(SiteFiles {
            dir: dir.to_owned(),
            files,
        })
    }

    /// The file of that name: from memory, else (a file built after start) from
    /// disk. Names are single path segments; nothing outside the folder is read.
    pub fn get(&self, name: &str) -> Option<std::borrow::Cow<'_, Asset>> {
        if let Some(asset) = self.files.get(name) {
            return Some(std::borrow::Cow::Borrowed(asset));
        }
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains(['/', '\\'])
            && !name.ends_with(".br")
            && !name.ends_with(".gz");
        if !plain {
            return None;
        }
        Asset::read(&self.dir.join(name))
            .ok()
            .map(std::borrow::Cow::Owned)
    }

    /// The name of the file `stem.<content hash>.ext` read at start, if there is
    /// exactly one (the build that writes it removes the one before).
    pub fn hashed(&self, stem: &str, ext: &str) -> Option<String> {
        let mut found = self.files.keys().filter(|name| {
            let mut parts = name.split('.');
            parts.next() == Some(stem)
                && parts.next().is_some()
                && parts.next() == Some(ext)
                && parts.next().is_none()
                && has_content_hash(name)
        });
        let first = found.next()?;
        if found.next().is_some() {
            tracing::warn!(
                stem,
                ext,
                "several builds of one file: none is served as current"
            );
            return None;
        }
        Some(first.clone())
    }

    /// Adds a file compiled into the binary under a name with its content hash
    /// (so cached as immutable); returns that name.
    pub fn add_embedded(&mut self, stem: &str, ext: &str, data: &'static [u8]) -> String {
        let name = hashed_name(stem, ext, data);
        let asset = Asset::embedded(&name, data, IMMUTABLE);
        self.files.insert(name.clone(), asset);
        name
    }
}

/// Writes the Brotli and gzip forms of every compressible file of the built site
/// (`<site-root>/pkg`) beside it: done once, at build time. Returns how many
/// files were compressed.
pub fn compress_site(site_root: &Path) -> std::io::Result<usize> {
    let dir = site_root.join("pkg");
    let mut done = 0;
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !path.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        let data = std::fs::read(&path)?;
        if !compressible(content_type(&path)) || data.len() < MIN_COMPRESS_BYTES {
            continue;
        }
        let write = |suffix: &str, bytes: Vec<u8>| {
            let mut target = path.as_os_str().to_owned();
            target.push(suffix);
            std::fs::write(PathBuf::from(target), bytes)
        };
        write(".br", brotli(&data))?;
        write(".gz", gzip(&data))?;
        done += 1;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn brotli_first_then_gzip_never_a_refused_one() {
        assert_eq!(
            negotiate(&accept("gzip, deflate, br, zstd"), true, true),
            Encoding::Brotli
        );
        assert_eq!(negotiate(&accept("gzip"), true, true), Encoding::Gzip);
        assert_eq!(
            negotiate(&accept("br;q=0, gzip"), true, true),
            Encoding::Gzip
        );
        assert_eq!(negotiate(&accept("br"), false, true), Encoding::Identity);
        assert_eq!(negotiate(&accept("*"), true, true), Encoding::Brotli);
        assert_eq!(negotiate(&HeaderMap::new(), true, true), Encoding::Identity);
    }

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(has_content_hash("livechat.YdTUjXwMTqB19ohCvXnslQ.css"));
        assert!(has_content_hash("chunk_3.iBryJ6CoirjbjvVvj9WGYg.wasm"));
        assert!(has_content_hash(&hashed_name("console", "css", b"a{}")));
        assert!(!has_content_hash("jquery.min.js"));
        assert!(!has_content_hash("livechat.css"));
        assert!(!has_content_hash("widget.js"));
    }

    #[test]
    fn the_compressed_forms_decompress_to_the_file() {
        let data = "hello, 你好 ".repeat(100);
        let asset = Asset::embedded(
            "x.js",
            Box::leak(data.clone().into_boxed_str()).as_bytes(),
            SHORT,
        );
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut asset.brotli.as_ref().unwrap().as_ref(), &mut plain).unwrap();
        assert_eq!(plain, data.as_bytes());
        let mut plain = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(asset.gzip.as_ref().unwrap().as_ref()),
            &mut plain,
        )
        .unwrap();
        assert_eq!(plain, data);
    }

    #[test]
    fn a_file_built_after_start_is_served_and_nothing_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let site = SiteFiles::load(dir.path()).unwrap();
        assert!(site.get("late.js").is_none());
        std::fs::write(dir.path().join("late.js"), "1").unwrap();
        assert!(site.get("late.js").is_some());
        std::fs::write(dir.path().join("late.js.br"), "x").unwrap();
        assert!(site.get("late.js.br").is_none());
        assert!(site.get("../Cargo.toml").is_none());
        assert!(site.get(".hidden").is_none());
    }

    #[test]
    fn a_matching_etag_is_not_modified() {
        let asset = Asset::embedded("widget.js", b"console.log(1)", SHORT);
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, asset.etag.clone());
        let response = asset.respond(&headers);
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::CACHE_CONTROL], SHORT);
        let response = asset.respond(&HeaderMap::new());
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::ETAG], asset.etag);
    }
}
