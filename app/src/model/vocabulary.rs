//! Closed sets of values (states, scopes, roles, codes) with stable machine names and the
//! plain words an owner reads. Machine names are stored in the database and used in the
//! API: never rename one, only add.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that is not one of a closed set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {expected}")]
pub struct ParseVocabularyError {
    /// What was being parsed ("scope", "status", …).
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted values, comma separated.
    pub expected: &'static str,
}

macro_rules! vocabulary {
    (
        $(#[$doc:meta])* $name:ident, $kind:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vdoc])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable machine name (stored in the database, used in the API).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseVocabularyError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(ParseVocabularyError {
                        kind: $kind,
                        value: other.chars().take(64).collect(),
                        expected: concat!($($code, " "),+),
                    }),
                }
            }
        }
    };
}

vocabulary!(
    /// The second factor a staff member's sign-in was made with.
    SignInFactor, "sign-in factor" {
        /// A passkey (WebAuthn, with user verification): phishing-resistant.
        Passkey = "passkey",
        /// A six-digit code from an authenticator app (TOTP).
        Totp = "totp",
        /// The local demo's one-click sign-in: no second factor at all.
        Demo = "demo",
    }
);

impl SignInFactor {
    /// How the owner reads it: "signed in with a security key".
    pub fn plain_words(self) -> &'static str {
        match self {
            SignInFactor::Passkey => "signed in with a security key (passkey)",
            SignInFactor::Totp => "signed in with a code from an authenticator app",
            SignInFactor::Demo => "signed in through the demo, without a second factor",
        }
    }
}

vocabulary!(
    /// What part of a mailbox an access touches.
    Scope, "scope" {
        /// Folder names, senders, subjects, dates and sizes.
        Metadata = "metadata",
        /// The text of messages.
        Content = "content",
        /// Files attached to messages.
        Attachments = "attachments",
        /// Mailbox settings such as forwarding rules.
        Settings = "settings",
    }
);

impl Scope {
    /// What this scope lets staff do, in words an owner understands.
    pub fn plain_words(self) -> &'static str {
        match self {
            Scope::Metadata => "see folder names, senders, subjects and dates",
            Scope::Content => "read the text of your messages",
            Scope::Attachments => "open files attached to your messages",
            Scope::Settings => "see and change your mailbox settings",
        }
    }

    /// The part of the mailbox, as a short name (filters and lists).
    pub fn label(self) -> &'static str {
        match self {
            Scope::Metadata => "Folders, senders, subjects and dates",
            Scope::Content => "Message text",
            Scope::Attachments => "Attachments",
            Scope::Settings => "Mailbox settings",
        }
    }

    /// Whether an access in this scope exposes message bodies or files (incident exposure).
    pub fn exposes_content(self) -> bool {
        matches!(self, Scope::Content | Scope::Attachments)
    }
}

vocabulary!(
    /// Where an access request is in its life. It only moves along
    /// `pending → approved | denied | expired | cancelled` and `approved → revoked | ended`.
    AccessRequestStatus, "status" {
        /// Waiting for the owner.
        Pending = "pending",
        /// The owner approved; access is allowed while the grant window lasts.
        Approved = "approved",
        /// The owner said no.
        Denied = "denied",
        /// Nobody decided in time.
        Expired = "expired",
        /// Withdrawn by the staff member before a decision.
        Cancelled = "cancelled",
        /// The owner withdrew an approval.
        Revoked = "revoked",
        /// The grant ran out or was ended early by the staff member.
        Ended = "ended",
    }
);

vocabulary!(
    /// A step in an access request's life, as the verifiable log records it.
    RequestChangeKind, "request change" {
        /// A staff member asked.
        Requested = "requested",
        /// The owner said yes.
        Approved = "approved",
        /// The owner said no.
        Denied = "denied",
        /// The staff member withdrew the request (or an incident did).
        Cancelled = "cancelled",
        /// Nobody decided in time.
        Expired = "expired",
        /// The approval was withdrawn.
        Revoked = "revoked",
        /// The grant ran out or was ended early.
        Ended = "ended",
        /// The owner made the grant end sooner.
        Shortened = "shortened",
    }
);

impl RequestChangeKind {
    /// The change that moves a request from `from` (none: it is new) to `to`.
    pub fn of(from: Option<AccessRequestStatus>, to: AccessRequestStatus) -> Self {
        use AccessRequestStatus as S;
        match (from, to) {
            (None, _) | (_, S::Pending) => Self::Requested,
            (Some(S::Approved), S::Approved) => Self::Shortened,
            (_, S::Approved) => Self::Approved,
            (_, S::Denied) => Self::Denied,
            (_, S::Cancelled) => Self::Cancelled,
            (_, S::Expired) => Self::Expired,
            (_, S::Revoked) => Self::Revoked,
            (_, S::Ended) => Self::Ended,
        }
    }

    /// The change in a few plain words, for the owner.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Asked for access",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
            Self::Cancelled => "Withdrawn",
            Self::Expired => "Expired without a decision",
            Self::Revoked => "Approval withdrawn",
            Self::Ended => "Access ended",
            Self::Shortened => "Access shortened",
        }
    }
}

vocabulary!(
    /// Who took a step in a request's life.
    ChangeActor, "actor" {
        /// The mailbox owner.
        Owner = "owner",
        /// The staff member who asked (or the mail system for them).
        Staff = "staff",
        /// Glassbox itself, when time ran out.
        Glassbox = "system",
        /// A security admin, confirming an incident.
        Security = "security",
    }
);

impl ChangeActor {
    /// Who, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "you",
            Self::Staff => "the staff member",
            Self::Glassbox => "Glassbox, when time ran out",
            Self::Security => "the security team",
        }
    }
}

impl AccessRequestStatus {
    /// The status in a few plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Waiting for a decision",
            Self::Approved => "Approved",
            Self::Denied => "Denied",
            Self::Expired => "Expired",
            Self::Cancelled => "Cancelled",
            Self::Revoked => "Revoked",
            Self::Ended => "Ended",
        }
    }

    /// Whether no further transition is possible.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Approved)
    }
}

vocabulary!(
    /// Why staff want access. Shown to owners in plain words.
    JustificationCode, "justification code" {
        /// The owner asked for help; a ticket is required.
        CustomerInitiatedSupport = "customer_initiated_support",
        /// An abuse or security review.
        ProviderInitiatedReview = "provider_initiated_review",
        /// A legal request (may be break-glass with delayed notice).
        LegalRequest = "legal_request",
        /// Work needed to keep the service running.
        ServiceMaintenance = "service_maintenance",
        /// An emergency (life-safety) that could not wait for consent.
        BreakGlassEmergency = "break_glass_emergency",
    }
);

impl JustificationCode {
    /// The reason in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::CustomerInitiatedSupport => "You asked for help",
            Self::ProviderInitiatedReview => "An abuse or security review",
            Self::LegalRequest => "A legal request",
            Self::ServiceMaintenance => "Maintenance of the mail service",
            Self::BreakGlassEmergency => "An emergency that could not wait",
        }
    }
}

vocabulary!(
    /// What a staff member may do in Glassbox.
    StaffRole, "role" {
        /// Asks owners for access to help them.
        Support = "support",
        /// Runs incidents, disables staff, approves break-glass.
        SecurityAdmin = "security_admin",
    }
);

impl StaffRole {
    /// The role as owners see it next to a pseudonym.
    pub fn label(self) -> &'static str {
        match self {
            Self::Support => "Support agent",
            Self::SecurityAdmin => "Security admin",
        }
    }
}

vocabulary!(
    /// A change to the staff roster, as the verifiable log records it.
    StaffChangeKind, "staff change" {
        /// Added to Glassbox (`glassbox staff add`).
        Added = "added",
        /// Disabled: can no longer sign in, ask for access or use a grant.
        Disabled = "disabled",
        /// Re-approved by a security admin for another period.
        Recertified = "recertified",
        /// Not re-approved in time: may no longer ask for access.
        Lapsed = "lapsed",
    }
);

impl StaffChangeKind {
    /// The change in a few plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "Added",
            Self::Disabled => "Disabled",
            Self::Recertified => "Recertified",
            Self::Lapsed => "Lapsed (not recertified in time)",
        }
    }
}

vocabulary!(
    /// Who made a staff change.
    StaffChangeBy, "staff change actor" {
        /// An operator on the server, with the `glassbox staff` command.
        CommandLine = "command_line",
        /// A security admin, on the roster or by confirming an incident.
        SecurityAdmin = "security_admin",
        /// Glassbox itself, when a recertification deadline passed.
        Glassbox = "system",
    }
);

vocabulary!(
    /// The answer to one access check.
    Decision, "decision" {
        /// Access went ahead under a live grant.
        Allowed = "allowed",
        /// Access was refused.
        Denied = "denied",
    }
);

vocabulary!(
    /// What an incident started from.
    IncidentCause, "cause" {
        /// A staff member's sign-in was stolen or misused.
        StaffCredential = "staff_credential",
        /// A service token (the mail system's key to the API) leaked.
        ServiceToken = "service_token",
        /// Anything else (a defect, a misconfiguration).
        Other = "other",
    }
);

impl IncidentCause {
    /// The cause in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::StaffCredential => "A support staff member's sign-in was misused",
            Self::ServiceToken => "A key our mail system uses to reach mailboxes leaked",
            Self::Other => "A fault in our systems",
        }
    }
}

vocabulary!(
    /// Where an incident is in its life: `draft → confirmed → closed`.
    IncidentStatus, "incident status" {
        /// Declared; nothing done or sent yet.
        Draft = "draft",
        /// Confirmed by a second security admin: measures taken, owners told.
        Confirmed = "confirmed",
        /// Over.
        Closed = "closed",
        /// A draft withdrawn by a security admin before confirmation: nothing was done or sent.
        Discarded = "discarded",
    }
);

vocabulary!(
    /// How much of a mailbox an incident exposed.
    Exposure, "exposure" {
        /// Only metadata: folder names, senders, subjects, dates.
        Metadata = "metadata",
        /// Message text or attachments were read.
        Content = "content",
    }
);

impl Exposure {
    /// What was exposed, in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::Metadata => "Details about your messages were seen: senders, recipients, subject lines, dates and folder names. The text of your messages and your attachments were not opened.",
            Self::Content => "Some of your messages were opened: their text or attachments were read, as well as details such as senders, subject lines and dates.",
        }
    }
}

vocabulary!(
    /// One thing an owner should do after an incident; they tick each off.
    GuidanceStep, "step" {
        /// Change the mailbox password.
        ChangePassword = "change_password",
        /// Turn on two-factor authentication.
        TurnOnTwoFactor = "turn_on_two_factor",
        /// Check forwarding rules.
        CheckForwarding = "check_forwarding",
        /// Check recovery email and phone.
        CheckRecovery = "check_recovery",
        /// Sign out every other session.
        SignOutSessions = "sign_out_sessions",
        /// Be wary of messages quoting real subjects.
        ExpectPhishing = "expect_phishing",
    }
);

impl GuidanceStep {
    /// The step in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::ChangePassword => "Change your mailbox password. We ask because someone who should not have had it may have seen your mail.",
            Self::TurnOnTwoFactor => "Turn on two-factor authentication, so a password alone is not enough to get in.",
            Self::CheckForwarding => "Check your forwarding rules and filters: remove any you did not set up.",
            Self::CheckRecovery => "Check your recovery email address and phone number: they should be yours.",
            Self::SignOutSessions => "Sign out of every other session and device, then sign in again where you need to.",
            Self::ExpectPhishing => "Expect fake messages that quote real subjects from your mailbox. Do not follow links asking for your password.",
        }
    }
}

vocabulary!(
    /// How an owner hears about staff accesses (requests are always emailed at once).
    AccessNotices, "access notice choice" {
        /// One email per grant, at its first access.
        Immediate = "immediate",
        /// One email a day listing the day's accesses.
        DailyDigest = "daily_digest",
        /// No access emails; the history page still shows everything.
        Off = "off",
    }
);

impl AccessNotices {
    /// The choice in plain words.
    pub fn plain_words(self) -> &'static str {
        match self {
            Self::Immediate => "Email me when someone starts accessing my mailbox",
            Self::DailyDigest => "One summary email a day",
            Self::Off => "No access emails (I will look at my history)",
        }
    }

    /// What the choice sends, beyond the requests themselves and the summary when an access
    /// is revoked or ends (always sent).
    pub fn what_it_sends(self) -> &'static str {
        match self {
            Self::Immediate => "Also at once: when a request expires or is withdrawn, when access is shortened, 10 minutes before it ends, and when attempts to access your mailbox are refused (one email per burst).",
            Self::DailyDigest => "The day's accesses in one email. Refused attempts to access your mailbox are still emailed at once (one email per burst).",
            Self::Off => "No email about accesses, refused attempts, expiries or withdrawals.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_machine_name_parses_back_to_its_value() {
        for s in IncidentCause::ALL {
            assert_eq!(s.as_str().parse::<IncidentCause>(), Ok(*s));
        }
        for s in IncidentStatus::ALL {
            assert_eq!(s.as_str().parse::<IncidentStatus>(), Ok(*s));
        }
        for s in Exposure::ALL {
            assert_eq!(s.as_str().parse::<Exposure>(), Ok(*s));
        }
        for s in GuidanceStep::ALL {
            assert_eq!(s.as_str().parse::<GuidanceStep>(), Ok(*s));
        }
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(*s));
        }
        for s in AccessRequestStatus::ALL {
            assert_eq!(s.as_str().parse::<AccessRequestStatus>(), Ok(*s));
        }
        for s in JustificationCode::ALL {
            assert_eq!(s.as_str().parse::<JustificationCode>(), Ok(*s));
        }
        for s in StaffRole::ALL {
            assert_eq!(s.as_str().parse::<StaffRole>(), Ok(*s));
        }
        for s in StaffChangeKind::ALL {
            assert_eq!(s.as_str().parse::<StaffChangeKind>(), Ok(*s));
        }
        for s in StaffChangeBy::ALL {
            assert_eq!(s.as_str().parse::<StaffChangeBy>(), Ok(*s));
        }
    }

    #[test]
    fn an_unknown_scope_is_rejected_with_the_accepted_values() {
        let err = "everything".parse::<Scope>().unwrap_err();
        assert!(err.to_string().contains("metadata"));
        assert!(err.to_string().contains("`everything`"));
    }

    #[test]
    fn serde_uses_the_same_machine_names_as_the_database() {
        for s in Scope::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for s in JustificationCode::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        for s in AccessRequestStatus::ALL {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }

    #[test]
    fn only_pending_and_approved_are_open_states() {
        let open: Vec<_> = AccessRequestStatus::ALL
            .iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(
            open,
            vec![
                &AccessRequestStatus::Pending,
                &AccessRequestStatus::Approved
            ]
        );
    }

    #[test]
    fn content_and_attachments_expose_content_but_metadata_does_not() {
        assert!(Scope::Content.exposes_content());
        assert!(Scope::Attachments.exposes_content());
        assert!(!Scope::Metadata.exposes_content());
        assert!(!Scope::Settings.exposes_content());
    }

    #[test]
    fn each_status_move_is_named_as_the_change_the_log_records() {
        use AccessRequestStatus as S;
        use RequestChangeKind as K;
        assert_eq!(K::of(None, S::Pending), K::Requested);
        assert_eq!(K::of(Some(S::Pending), S::Approved), K::Approved);
        assert_eq!(K::of(Some(S::Approved), S::Approved), K::Shortened);
        assert_eq!(K::of(Some(S::Pending), S::Denied), K::Denied);
        assert_eq!(K::of(Some(S::Pending), S::Cancelled), K::Cancelled);
        assert_eq!(K::of(Some(S::Pending), S::Expired), K::Expired);
        assert_eq!(K::of(Some(S::Approved), S::Revoked), K::Revoked);
        assert_eq!(K::of(Some(S::Approved), S::Ended), K::Ended);
        for k in RequestChangeKind::ALL {
            assert_eq!(k.as_str().parse::<RequestChangeKind>(), Ok(*k));
        }
        for a in ChangeActor::ALL {
            assert_eq!(a.as_str().parse::<ChangeActor>(), Ok(*a));
        }
    }
}
