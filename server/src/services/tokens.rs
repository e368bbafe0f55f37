//! Service tokens for the API: random, shown once, stored only as a keyed hash
//! (HMAC-SHA256 under the installation's secret key), so a copy of the database does not
//! let anyone call the API.

use super::error::{conflict_on_unique, ServiceError};
use crate::config::Settings;
use crate::db::service_tokens::{self, ServiceTokenRow};
use crate::db::Db;
use crate::domain::clock::Clock;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::RwLock;

/// Every token starts with this, so a leaked one is easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "gbx_";

/// The stored hash of a token.
pub fn hash(settings: &Settings, token: &str) -> Vec<u8> {
    let key = settings.security.secret_key.expose_secret().as_bytes();
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"glassbox-service-token-v1\0");
            mac.update(token.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => Vec::new(),
    }
}

/// Creates a token named `name` and returns it; it cannot be shown again.
pub async fn create(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    name: &str,
) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ServiceError::Invalid(
            "a token name is 1 to 64 letters, digits, `-`, `_` or `.`".into(),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let mut tx = db.begin().await?;
    conflict_on_unique(
        service_tokens::insert(
            &mut tx,
            uuid::Uuid::now_v7(),
            name,
            &hash(settings, &token),
            clock.now(),
        )
        .await,
        || format!("a token named `{name}` already exists; revoke it or choose another name"),
    )?;
    tx.commit().await?;
    Ok(token)
}

/// The live token matching a presented bearer token, if any.
pub async fn authenticate(
    db: &Db,
    settings: &Settings,
    presented: &str,
) -> Result<Option<ServiceTokenRow>, ServiceError> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    Ok(service_tokens::find_live_by_hash(db, &hash(settings, presented)).await?)
}

/// A service token identified by its hash: who is calling. Says nothing about whether the
/// token is still live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownToken {
    /// Token id.
    pub id: uuid::Uuid,
    /// Token name.
    pub name: String,
}

/// How many token hashes [`KnownTokens`] keeps; beyond it, tokens are looked up per request.
const KNOWN_TOKENS_LIMIT: usize = 4096;

/// The map from a token's hash to its id and name, for the access check, which must not
/// pay a query per request (B3). The mapping never changes once a token exists, so it can
/// be kept; **liveness is not kept here**: the log writer re-reads it inside each batch's
/// transaction (see `transparency::writer`), so a revocation is exact on every instance.
/// Only tokens found live in the database enter the map; an unknown token never does.
#[derive(Debug, Default)]
pub struct KnownTokens {
    by_hash: RwLock<HashMap<Vec<u8>, KnownToken>>,
}

impl KnownTokens {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Who presents `presented`: from memory when it was seen live before, else from the
    /// database (a live token is then kept). `None` for an unknown or revoked token. A
    /// token answered from memory may have been revoked since: the caller must have its
    /// liveness checked where the action commits.
    pub async fn identify(
        &self,
        db: &Db,
        settings: &Settings,
        presented: &str,
    ) -> Result<Option<KnownToken>, ServiceError> {
        if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
            return Ok(None);
        }
        let hash = hash(settings, presented);
        if let Some(known) = self.read().get(&hash) {
            return Ok(Some(known.clone()));
        }
        let Some(row) = service_tokens::find_live_by_hash(db, &hash).await? else {
            return Ok(None);
        };
        let known = KnownToken {
            id: row.id,
            name: row.name,
        };
        let mut map = self.write();
        if map.len() < KNOWN_TOKENS_LIMIT {
            map.insert(hash, known.clone());
        }
        Ok(Some(known))
    }

    /// Drops a token found revoked, so its next requests are refused before reaching the
    /// log writer.
    pub fn forget(&self, id: uuid::Uuid) {
        self.write().retain(|_, t| t.id != id);
    }

    // A poisoned lock still holds a consistent map (each change is one map operation).
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Vec<u8>, KnownToken>> {
        self.by_hash.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Vec<u8>, KnownToken>> {
        self.by_hash.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_token_and_the_installation_secret() {
        let a = Settings::default();
        let mut b = Settings::default();
        b.security.secret_key = "another-secret-another-secret-12345".to_string().into();
        assert_eq!(hash(&a, "gbx_x"), hash(&a, "gbx_x"));
        assert_ne!(hash(&a, "gbx_x"), hash(&a, "gbx_y"));
        assert_ne!(hash(&a, "gbx_x"), hash(&b, "gbx_x"));
        assert_eq!(hash(&a, "gbx_x").len(), 32);
    }
}
