//! Signed links to files, for visitors: a visitor's browser cannot send the
//! visitor's token with `<img src>`, so the server hands each visitor, for each
//! file they may see, a link that names them and expires, signed with a key only
//! the server holds (HMAC-SHA256). The link is checked again against what the
//! visitor may see when it is used.

use app::ids::{FileId, VisitorId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// 32 random bytes from the operating system.
pub fn random_key() -> [u8; 32] {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// How long a link works.
pub const LINK_TTL_MS: i64 = 10 * 60 * 1000;

pub struct Links {
    key: [u8; 32],
}

impl Links {
    /// Links signed with `key` (the store keeps one for all nodes:
    /// `FileRecordStore::link_key`).
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// A key of its own, for a service without a stored one (its links die with it).
    pub fn random() -> Self {
        Self::new(random_key())
    }

    fn mac(&self, file: FileId, visitor: VisitorId, expires_ms: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(format!("{file}|{visitor}|{expires_ms}").as_bytes());
        mac
    }

    /// `/files/{id}?v=…&e=…&s=…`, valid until `now_ms` + [`LINK_TTL_MS`].
    pub fn url(&self, file: FileId, visitor: VisitorId, now_ms: i64) -> String {
        let expires = now_ms + LINK_TTL_MS;
        let sig = hex::encode(self.mac(file, visitor, expires).finalize().into_bytes());
        format!("/files/{file}?v={visitor}&e={expires}&s={sig}")
    }

    /// The visitor a link was made for, if it is genuine and not expired.
    pub fn check(&self, file: FileId, query: &str, now_ms: i64) -> Option<VisitorId> {
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let visitor: VisitorId = param("v")?.parse().ok()?;
        let expires: i64 = param("e")?.parse().ok()?;
        let sig = hex::decode(param("s")?).ok()?;
        if expires < now_ms {
            return None;
        }
        self.mac(file, visitor, expires)
            .verify_slice(&sig)
            .ok()
            .map(|()| visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_link_names_its_visitor_and_expires() {
        let links = Links::random();
        let file = FileId(Uuid::new_v4());
        let visitor = VisitorId(Uuid::new_v4());
        let url = links.url(file, visitor, 1_000);
        let query = url.split_once('?').unwrap().1;
        assert_eq!(links.check(file, query, 2_000), Some(visitor));
        assert_eq!(
            links.check(file, query, 1_000 + LINK_TTL_MS + 1),
            None,
            "expired"
        );
        assert_eq!(
            links.check(FileId(Uuid::new_v4()), query, 2_000),
            None,
            "another file"
        );
        let other = VisitorId(Uuid::new_v4());
        let forged = query.replace(&visitor.to_string(), &other.to_string());
        assert_eq!(links.check(file, &forged, 2_000), None, "another visitor");
        assert_eq!(
            Links::random().check(file, query, 2_000),
            None,
            "another key"
        );
        assert_eq!(links.check(file, "v=x&e=1&s=zz", 0), None);
    }
}
