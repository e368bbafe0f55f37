//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) for the staff second
//! factor, and the QR code that enrols an authenticator app.

use qrcodegen::{QrCode, QrCodeEcc};
use rand::RngCore;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

/// A new random 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn totp(secret: &[u8], account: &str) -> Result<TOTP, totp_rs::TotpUrlError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_vec(),
        Some("Glassbox".into()),
        account.to_string(),
    )
}

/// The 30-second time step `code` belongs to, if it is valid at `now` (one step of clock
/// drift either way). A code must be used once only: the caller keeps the last step used.
pub fn verify(secret: &[u8], code: &str, now: OffsetDateTime) -> Option<u64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "staff").ok()?;
    let step = now.unix_timestamp().max(0) as u64 / STEP_SECONDS;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| constant_time_eq(t.generate(s * STEP_SECONDS).as_bytes(), code.as_bytes()))
}

const STEP_SECONDS: u64 = 30;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seals TOTP secrets for storage (XChaCha20-Poly1305 under a key derived from
/// `security.secret_key`, bound to the staff member so a sealed secret cannot be moved to
/// another row). A copy of the database alone does not reveal anyone's second factor.
pub struct SecretSealer {
    cipher: chacha20poly1305::XChaCha20Poly1305,
}

/// The first byte of a sealed secret; an unsealed (legacy) secret is exactly 20 bytes.
const SEALED_V1: u8 = 1;
const LEGACY_LEN: usize = 20;

impl SecretSealer {
    /// A sealer keyed by the deployment's secret key.
    pub fn new(secret_key: &[u8]) -> anyhow::Result<Self> {
        use chacha20poly1305::KeyInit as _;
        use hmac::Mac as _;
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret_key)
            .map_err(|e| anyhow::anyhow!("cannot key the TOTP sealer: {e}"))?;
        mac.update(b"glassbox/totp-secret-sealing/v1");
        let key = mac.finalize().into_bytes();
        Ok(Self {
            cipher: chacha20poly1305::XChaCha20Poly1305::new(&key),
        })
    }

    /// `secret` sealed for `owner` (the staff id's bytes).
    pub fn seal(&self, owner: &[u8], secret: &[u8]) -> anyhow::Result<Vec<u8>> {
        use chacha20poly1305::aead::{Aead as _, Payload};
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: secret,
                    aad: owner,
                },
            )
            .map_err(|_| anyhow::anyhow!("could not seal a TOTP secret"))?;
        Ok([&[SEALED_V1][..], &nonce, &sealed].concat())
    }

    /// The secret in `stored`, and whether it was stored unsealed (and should be sealed now).
    pub fn open(&self, owner: &[u8], stored: &[u8]) -> anyhow::Result<(Vec<u8>, bool)> {
        use chacha20poly1305::aead::{Aead as _, Payload};
        if stored.len() == LEGACY_LEN {
            return Ok((stored.to_vec(), true));
        }
        match stored.split_first() {
            Some((&SEALED_V1, rest)) if rest.len() > 24 => {
                let (nonce, sealed) = rest.split_at(24);
                let secret = self
                    .cipher
                    .decrypt(
                        nonce.into(),
                        Payload {
                            msg: sealed,
                            aad: owner,
                        },
                    )
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "a stored TOTP secret does not open: security.secret_key changed, or the row was altered"
                        )
                    })?;
                Ok((secret, false))
            }
            _ => anyhow::bail!("a stored TOTP secret has an unknown format"),
        }
    }
}

/// The code for `secret` at `now` (tests and tooling).
pub fn code_at(secret: &[u8], now: OffsetDateTime) -> Option<String> {
    totp(secret, "staff")
        .ok()
        .map(|t| t.generate(now.unix_timestamp().max(0) as u64))
}

/// What the enrolment page shows.
pub struct Enrolment {
    /// The `otpauth://` URL as a QR code, as inline SVG.
    pub qr_svg: String,
    /// The secret in base32, for typing in by hand.
    pub base32: String,
}

/// The enrolment QR code and key for `secret`.
pub fn enrolment(secret: &[u8], account: &str) -> anyhow::Result<Enrolment> {
    let t = totp(secret, account).map_err(|e| anyhow::anyhow!("{e}"))?;
    let url = t.get_url();
    let qr = QrCode::encode_text(&url, QrCodeEcc::Medium).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(Enrolment {
        qr_svg: svg(&qr),
        base32: Secret::Raw(secret.to_vec()).to_encoded().to_string(),
    })
}

fn svg(qr: &QrCode) -> String {
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path += &format!("M{},{}h1v1h-1z", x + border, y + border);
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"220\" height=\"220\" role=\"img\" \
         aria-label=\"QR code to add Glassbox to your authenticator app\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_current_code_verifies_and_a_wrong_or_old_one_does_not() {
        let secret = new_secret();
        let now = datetime!(2026-11-29 12:00 UTC);
        let code = code_at(&secret, now).unwrap();
        let step = verify(&secret, &code, now).expect("the current code");
        assert_eq!(step, now.unix_timestamp() as u64 / 30);
        assert_eq!(
            verify(&secret, &code, now + time::Duration::seconds(30)),
            Some(step),
            "one step of drift, and the same step: a replay is recognisable"
        );
        assert_eq!(
            verify(&secret, &code, now + time::Duration::minutes(5)),
            None,
            "an old code expires"
        );
        assert!(verify(&secret, "000000", now).is_none() || code == "000000");
        assert_eq!(verify(&secret, "12345", now), None);
        assert_eq!(verify(&secret, "abcdef", now), None);
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_owner_under_the_same_key() {
        let sealer = SecretSealer::new(b"a deployment key").unwrap();
        let secret = new_secret();
        let sealed = sealer.seal(b"staff-1", &secret).unwrap();
        assert!(
            !sealed.windows(secret.len()).any(|w| w == secret.as_slice()),
            "the secret is not stored in the clear"
        );
        assert_eq!(
            sealer.open(b"staff-1", &sealed).unwrap(),
            (secret.clone(), false)
        );
        assert!(
            sealer.open(b"staff-2", &sealed).is_err(),
            "moved to another row"
        );
        assert!(SecretSealer::new(b"another key")
            .unwrap()
            .open(b"staff-1", &sealed)
            .is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(b"staff-1", &altered).is_err());
    }

    #[test]
    fn a_secret_stored_before_sealing_still_opens_and_asks_to_be_sealed() {
        let sealer = SecretSealer::new(b"k").unwrap();
        assert_eq!(
            sealer.open(b"s", &[9u8; 20]).unwrap(),
            (vec![9u8; 20], true)
        );
        assert!(sealer.open(b"s", &[7u8; 5]).is_err());
    }

    #[test]
    fn enrolment_shows_a_qr_code_and_the_key() {
        let e = enrolment(&[7u8; 20], "sam@staff.example.org").unwrap();
        assert!(e.qr_svg.starts_with("<svg"));
        assert_eq!(e.base32.len(), 32);
    }
}
