//! The owner's standing rules, decided: which rule, if any, refuses a new request. The
//! request is still stored and shown; `Action::RefuseByRule` refuses it at once, by Glassbox
//! on the owner's behalf, with the rule in words as its reason.

use app::model::{JustificationCode, Scope, StandingRules};

/// The rule that refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleRefusal {
    /// "Never allow reading my messages": the request asks for message text or attachments.
    Content,
    /// "Refuse requests without a ticket".
    NoTicket,
    /// "Refuse requests given for this reason".
    Reason(JustificationCode),
}

impl RuleRefusal {
    /// The reason stored with the refusal, shown to the owner and the agent.
    pub fn reason(self) -> String {
        match self {
            Self::Content => "Refused by the owner's standing rule: never allow reading my messages or attachments.".into(),
            Self::NoTicket => "Refused by the owner's standing rule: refuse requests without a support ticket.".into(),
            Self::Reason(code) => format!(
                "Refused by the owner's standing rule: refuse requests given for \"{}\".",
                code.plain_words()
            ),
        }
    }
}

/// The first of the owner's rules that refuses a request for `scopes`, given for `code`,
/// naming `ticket`; `None` when the owner is to be asked.
pub fn refusal(
    rules: &StandingRules,
    scopes: &[Scope],
    code: JustificationCode,
    ticket: Option<&str>,
) -> Option<RuleRefusal> {
    if rules.refuse_content && scopes.iter().any(|s| s.exposes_content()) {
        return Some(RuleRefusal::Content);
    }
    if rules.refuses_code(code) {
        return Some(RuleRefusal::Reason(code));
    }
    if rules.refuse_without_ticket && ticket.is_none_or(|t| t.trim().is_empty()) {
        return Some(RuleRefusal::NoTicket);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> StandingRules {
        StandingRules::default()
    }

    #[test]
    fn without_rules_the_owner_is_always_asked() {
        assert_eq!(
            refusal(
                &rules(),
                &[Scope::Content],
                JustificationCode::LegalRequest,
                None
            ),
            None
        );
    }

    #[test]
    fn never_reading_messages_refuses_text_and_attachments_but_not_metadata() {
        let r = StandingRules {
            refuse_content: true,
            ..rules()
        };
        let code = JustificationCode::CustomerInitiatedSupport;
        assert_eq!(
            refusal(&r, &[Scope::Metadata, Scope::Content], code, Some("T-1")),
            Some(RuleRefusal::Content)
        );
        assert_eq!(
            refusal(&r, &[Scope::Attachments], code, Some("T-1")),
            Some(RuleRefusal::Content)
        );
        assert_eq!(
            refusal(&r, &[Scope::Metadata, Scope::Settings], code, Some("T-1")),
            None
        );
    }

    #[test]
    fn a_request_without_a_ticket_is_refused_when_the_owner_says_so() {
        let r = StandingRules {
            refuse_without_ticket: true,
            ..rules()
        };
        let code = JustificationCode::ServiceMaintenance;
        assert_eq!(
            refusal(&r, &[Scope::Metadata], code, None),
            Some(RuleRefusal::NoTicket)
        );
        assert_eq!(
            refusal(&r, &[Scope::Metadata], code, Some("  ")),
            Some(RuleRefusal::NoTicket)
        );
        assert_eq!(refusal(&r, &[Scope::Metadata], code, Some("OPS-9")), None);
    }

    #[test]
    fn a_reason_the_owner_refuses_is_refused_whatever_else_it_says() {
        let r = StandingRules {
            refuse_codes: vec![JustificationCode::ProviderInitiatedReview],
            ..rules()
        };
        assert_eq!(
            refusal(
                &r,
                &[Scope::Metadata],
                JustificationCode::ProviderInitiatedReview,
                Some("T-1")
            ),
            Some(RuleRefusal::Reason(
                JustificationCode::ProviderInitiatedReview
            ))
        );
        assert_eq!(
            refusal(
                &r,
                &[Scope::Metadata],
                JustificationCode::ServiceMaintenance,
                None
            ),
            None
        );
        assert!(
            RuleRefusal::Reason(JustificationCode::ProviderInitiatedReview)
                .reason()
                .contains("An abuse or security review")
        );
    }
}
