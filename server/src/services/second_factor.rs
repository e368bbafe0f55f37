//! The staff second factor: a TOTP code checked against the staff member's sealed secret,
//! each code accepted once only (RFC 6238 section 5.2).

use super::error::ServiceError;
use crate::config::Settings;
use crate::db::{staff, Db};
use crate::services::totp::{self, SecretSealer};
use app::model::StaffId;
use secrecy::ExposeSecret as _;
use time::OffsetDateTime;

/// What became of a code.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, and not used before; `enrolled` when it also completed the enrolment.
    Accepted {
        /// The code proved a new secret, which is now stored.
        enrolled: bool,
    },
    /// Not the code of this moment.
    Wrong,
    /// The right code, but already used: someone may have watched it being typed.
    Replayed,
    /// Nothing to check against: no secret is stored and none is being enrolled.
    NotEnrolled,
    /// Another sign-in enrolled a different secret meanwhile.
    EnrolmentChanged,
}

fn sealer(settings: &Settings) -> anyhow::Result<SecretSealer> {
    SecretSealer::new(settings.security.secret_key.expose_secret().as_bytes())
}

/// Checks `code` for `staff_id`: against the stored secret, or, when none is stored yet,
/// against `enrolling` (the secret shown as a QR code), which a right code stores sealed.
pub async fn check_code(
    db: &Db,
    settings: &Settings,
    staff_id: StaffId,
    enrolling: Option<&[u8]>,
    code: &str,
    now: OffsetDateTime,
) -> Result<CodeCheck, ServiceError> {
    let sealer = sealer(settings)?;
    let owner = staff_id.0.as_bytes();
    let (secret, enrolment, unsealed) = match (staff::totp_secret(db, staff_id).await?, enrolling) {
        (Some(stored), _) => {
            let (secret, unsealed) = sealer.open(owner, &stored)?;
            (secret, false, unsealed.then_some(stored))
        }
        (None, Some(new)) => (new.to_vec(), true, None),
        (None, None) => return Ok(CodeCheck::NotEnrolled),
    };
    let Some(step) = totp::verify(&secret, code, now) else {
        return Ok(CodeCheck::Wrong);
    };
    if enrolment && !staff::enrol_totp(db, staff_id, &sealer.seal(owner, &secret)?).await? {
        return Ok(CodeCheck::EnrolmentChanged);
    }
    if let Some(old) = unsealed {
        staff::reseal_totp(db, staff_id, &old, &sealer.seal(owner, &secret)?).await?;
    }
    let step = i64::try_from(step).map_err(|e| ServiceError::Unexpected(e.into()))?;
    if !staff::use_totp_step(db, staff_id, step).await? {
        return Ok(CodeCheck::Replayed);
    }
    Ok(CodeCheck::Accepted {
        enrolled: enrolment,
    })
}
