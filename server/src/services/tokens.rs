//! Service tokens for the API: random, shown once, stored only as a keyed hash
//! (HMAC-SHA256 under the installation's secret key), so a copy of the database does not
//! let anyone call the API.

use super::error::ServiceError;
use crate::config::Settings;
use crate::db::service_tokens::{self, ServiceTokenRow};
use crate::db::Db;
use crate::domain::clock::Clock;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;

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
    match service_tokens::insert(
        &mut tx,
        uuid::Uuid::now_v7(),
        name,
        &hash(settings, &token),
        clock.now(),
    )
    .await
    {
        Ok(()) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(format!(
                "a token named `{name}` already exists; revoke it or choose another name"
            )));
        }
        Err(e) => return Err(e.into()),
    }
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
