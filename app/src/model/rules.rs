//! An owner's standing rules: requests Glassbox refuses for them without asking.

use super::vocabulary::JustificationCode;
use serde::{Deserialize, Serialize};

/// What the owner refuses in advance. A refused request is still recorded and shown, marked
/// as refused by the owner's rule; its agent is told why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingRules {
    /// Never allow reading messages or attachments: refuse any request that asks to.
    pub refuse_content: bool,
    /// Refuse requests that name no support ticket.
    pub refuse_without_ticket: bool,
    /// Refuse requests given for these reasons.
    pub refuse_codes: Vec<JustificationCode>,
}

impl StandingRules {
    /// The reasons an owner may refuse in advance (break-glass is refused for everyone).
    pub const CODES: [JustificationCode; 4] = [
        JustificationCode::CustomerInitiatedSupport,
        JustificationCode::ProviderInitiatedReview,
        JustificationCode::LegalRequest,
        JustificationCode::ServiceMaintenance,
    ];

    /// Whether requests given for `code` are refused.
    pub fn refuses_code(&self, code: JustificationCode) -> bool {
        self.refuse_codes.contains(&code)
    }

    /// Whether any rule is on.
    pub fn any(&self) -> bool {
        self.refuse_content || self.refuse_without_ticket || !self.refuse_codes.is_empty()
    }
}
