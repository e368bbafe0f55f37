//! Server functions for the owner's standing rules.

use crate::error::AppError;
use crate::model::StandingRules;
use leptos::prelude::*;

/// The signed-in owner's standing rules.
#[server(endpoint = "load_standing_rules")]
pub async fn load_standing_rules() -> Result<StandingRules, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            super::ssr::portal()?.owner_standing_rules(owner).await
        }
        .await,
    )
}

/// Replaces the signed-in owner's standing rules. Each rule is a checkbox: present ("on")
/// when ticked, absent otherwise; `refuse_<code>` refuses requests given for that reason.
#[server(endpoint = "save_standing_rules")]
pub async fn save_standing_rules(
    refuse_content: Option<String>,
    refuse_without_ticket: Option<String>,
    refuse_customer_initiated_support: Option<String>,
    refuse_provider_initiated_review: Option<String>,
    refuse_legal_request: Option<String>,
    refuse_service_maintenance: Option<String>,
) -> Result<StandingRules, AppError> {
    super::ssr::with_status(
        async move {
            use crate::model::JustificationCode;
            let owner = super::ssr::owner().await?;
            let codes = [
                (
                    JustificationCode::CustomerInitiatedSupport,
                    refuse_customer_initiated_support,
                ),
                (
                    JustificationCode::ProviderInitiatedReview,
                    refuse_provider_initiated_review,
                ),
                (JustificationCode::LegalRequest, refuse_legal_request),
                (
                    JustificationCode::ServiceMaintenance,
                    refuse_service_maintenance,
                ),
            ];
            let rules = StandingRules {
                refuse_content: refuse_content.is_some(),
                refuse_without_ticket: refuse_without_ticket.is_some(),
                refuse_codes: codes
                    .into_iter()
                    .filter_map(|(code, ticked)| ticked.map(|_| code))
                    .collect(),
            };
            super::ssr::portal()?
                .set_owner_standing_rules(owner, rules)
                .await
        }
        .await,
    )
}
