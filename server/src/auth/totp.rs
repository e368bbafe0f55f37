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

/// Whether `code` is valid at `now` (one 30-second step of clock drift either way).
pub fn verify(secret: &[u8], code: &str, now: OffsetDateTime) -> bool {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match totp(secret, "staff") {
        Ok(t) => t.check(code, now.unix_timestamp().max(0) as u64),
        Err(_) => false,
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
        assert!(verify(&secret, &code, now));
        assert!(
            verify(&secret, &code, now + time::Duration::seconds(30)),
            "one step of drift"
        );
        assert!(
            !verify(&secret, &code, now + time::Duration::minutes(5)),
            "an old code expires"
        );
        assert!(!verify(&secret, "000000", now) || code == "000000");
        assert!(!verify(&secret, "12345", now));
        assert!(!verify(&secret, "abcdef", now));
    }

    #[test]
    fn enrolment_shows_a_qr_code_and_the_key() {
        let e = enrolment(&[7u8; 20], "sam@staff.example.org").unwrap();
        assert!(e.qr_svg.starts_with("<svg"));
        assert_eq!(e.base32.len(), 32);
    }
}
