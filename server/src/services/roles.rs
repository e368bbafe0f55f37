//! Who may do what among staff, checked against the store on every call (a disabled
//! account or a changed role takes effect at once).

use super::error::ServiceError;
use crate::db::{staff, Db};
use app::model::{StaffId, StaffRole};

/// The enabled security admin `who` (`Forbidden` for anyone else).
pub(super) async fn security_admin(db: &Db, who: StaffId) -> Result<staff::StaffRow, ServiceError> {
    let member = staff::get_staff(db, who)
        .await?
        .ok_or(ServiceError::Forbidden)?;
    if member.role != StaffRole::SecurityAdmin || member.disabled_at.is_some() {
        return Err(ServiceError::Forbidden);
    }
    Ok(member)
}
