//! Consent enforced where mail is read (Dovecot, `integrations/dovecot/`).
//!
//! - An agent with a live `content` grant gets a per-grant IMAP credential (`gbg_…`): random,
//!   shown once, stored only as a keyed hash, valid only for that grant (so that mailbox,
//!   that agent and that window). Making a new one replaces the old.
//! - Dovecot's master passdb asks [`login`] before a staff login `mailbox*agent`: the log
//!   writer reads the credential, the agent and the grants inside its batch and decides
//!   with [`crate::domain::check::decide_imap_login`]; the login, allowed or refused, is an
//!   access event like every check, and an allowed session is written with it.

use super::check::{record, token_ok, CheckOutcome};
use super::error::ServiceError;
use crate::config::Settings;
use crate::db::imap as store;
use crate::db::{requests, Db};
use crate::domain::access_request::{grant_allows, parse_mailbox};
use crate::domain::clock::Clock;
use crate::transparency::writer::{ImapLogin, LogWriter, PendingCheck};
use app::model::{
    ImapAccessView, ImapSessionView, RequestId, Scope, StaffId, StaffRequestDetail,
    StaffRequestView,
};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;

/// Every IMAP credential starts with this, so a leaked one is easy to recognise.
pub const CREDENTIAL_PREFIX: &str = "gbg_";

/// The action recorded for a staff IMAP login.
pub const LOGIN_ACTION: &str = "imap_login";

/// The stored hash of an IMAP credential (HMAC-SHA256 under the installation's secret key,
/// with its own purpose label: a credential can never pass as a service token).
pub fn credential_hash(settings: &Settings, secret: &str) -> Vec<u8> {
    let key = settings.security.secret_key.expose_secret().as_bytes();
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"glassbox-imap-credential-v1\0");
            mac.update(secret.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => Vec::new(),
    }
}

/// A credential just made: shown once.
#[derive(Clone)]
pub struct IssuedCredential {
    /// The IMAP user name to log in with (`mailbox*agent`).
    pub login: String,
    /// The secret (the IMAP password).
    pub secret: String,
}

impl std::fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// Makes the IMAP credential of request `id` for its agent `staff`, replacing any earlier
/// one. Only the agent of a live grant with the `content` scope gets one.
#[tracing::instrument(skip_all, fields(request.id = %id))]
pub async fn issue_credential(
    db: &Db,
    clock: &Clock,
    settings: &Settings,
    staff: StaffId,
    id: RequestId,
) -> Result<IssuedCredential, ServiceError> {
    let now = clock.now();
    let mut tx = db.begin().await?;
    let request = requests::get(&mut tx, id)
        .await?
        .filter(|r| r.agent_id == staff)
        .ok_or(ServiceError::NotFound("request"))?;
    if !grant_allows(
        request.status,
        &request.scopes,
        request.grant_starts_at,
        request.grant_ends_at,
        Scope::Content,
        now,
    ) {
        return Err(ServiceError::Conflict(
            "An IMAP credential needs a live grant that includes message content.".into(),
        ));
    }
    let Some(handle) = request.agent_handle.clone() else {
        return Err(ServiceError::Conflict(
            "Your staff account has no handle for the mail system.".into(),
        ));
    };
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{CREDENTIAL_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    store::revoke_credentials(&mut tx, id, now).await?;
    store::insert_credential(
        &mut tx,
        uuid::Uuid::now_v7(),
        id,
        &credential_hash(settings, &secret),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!("IMAP credential issued");
    Ok(IssuedCredential {
        login: format!("{}*{handle}", request.mailbox),
        secret,
    })
}

/// A staff IMAP login as Dovecot's passdb asks it (already decoded from JSON).
#[derive(Clone)]
pub struct LoginInput {
    /// The mailbox (Dovecot's `login_user`).
    pub mailbox: String,
    /// The agent's handle (Dovecot's `user`).
    pub agent: String,
    /// The presented password: the `gbg_` credential.
    pub secret: String,
    /// The client's address.
    pub client_ip: String,
    /// Dovecot's session id.
    pub session: String,
}

/// Decides and records a staff IMAP login; `token` is the service token that asked.
#[tracing::instrument(skip_all)]
pub async fn login(
    log: &LogWriter,
    settings: &Settings,
    token: uuid::Uuid,
    input: &LoginInput,
) -> Result<CheckOutcome, ServiceError> {
    let mailbox =
        parse_mailbox(&input.mailbox).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    // Taken exactly as Dovecot sends it (the API document's patterns say so).
    let agent = input.agent.to_ascii_lowercase();
    if !token_ok(&agent, 128) {
        return Err(ServiceError::Invalid(
            "`agent` must be 1 to 128 printable characters without spaces".into(),
        ));
    }
    let client_ip: std::net::IpAddr = input
        .client_ip
        .parse()
        .map_err(|_| ServiceError::Invalid("`client_ip` must be an IPv4 or IPv6 address".into()))?;
    if !token_ok(&input.session, 64) {
        return Err(ServiceError::Invalid(
            "`session` must be 1 to 64 printable characters without spaces (Dovecot's session id)"
                .into(),
        ));
    }
    if input.secret.len() > 256 {
        return Err(ServiceError::Invalid(
            "`secret` is at most 256 characters".into(),
        ));
    }
    // A secret of the wrong shape matches no stored hash: the login is refused and recorded
    // like any wrong credential.
    let secret_hash = credential_hash(settings, &input.secret);
    record(
        log,
        PendingCheck {
            token,
            mailbox,
            agent,
            scope: Scope::Content,
            action: LOGIN_ACTION.into(),
            resource: format!("imap-session:{}", input.session),
            source_network: Some(client_ip.to_string()),
            imap: Some(ImapLogin {
                secret_hash,
                session: input.session.clone(),
                client_ip: client_ip.to_string(),
            }),
        },
    )
    .await
}

/// One of `staff`'s own requests with its IMAP access, for their page in the staff console
/// (`NotFound` for anyone else's request).
pub async fn staff_request(
    db: &Db,
    clock: &Clock,
    staff: StaffId,
    id: RequestId,
) -> Result<StaffRequestDetail, ServiceError> {
    let r = requests::get(db, id)
        .await?
        .filter(|r| r.agent_id == staff)
        .ok_or(ServiceError::NotFound("request"))?;
    let now = clock.now();
    let can_issue = r.agent_handle.is_some()
        && grant_allows(
            r.status,
            &r.scopes,
            r.grant_starts_at,
            r.grant_ends_at,
            Scope::Content,
            now,
        );
    let credential = store::live_credential(db, r.id).await?;
    let sessions = store::sessions_of_request(db, r.id).await?;
    let login = r
        .agent_handle
        .as_ref()
        .map(|h| format!("{}*{h}", r.mailbox));
    let agent_name = r.agent_name.clone();
    Ok(StaffRequestDetail {
        item: StaffRequestView {
            request: super::requests::view(r, now),
            agent_name,
        },
        imap: ImapAccessView {
            login,
            can_issue,
            credential_issued_at: credential.map(|c| c.created_at),
            sessions: sessions
                .into_iter()
                .map(|s| ImapSessionView {
                    started_at: s.created_at,
                    client_ip: s.client_ip,
                    cut_at: s.cut_at,
                })
                .collect(),
        },
    })
}

/// What one posted command event came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ingested {
    /// It became a receipt in the owner's history (and enters the log).
    Recorded,
    /// A command that read nothing, or failed.
    Nothing,
    /// Not a session Glassbox allowed (or not an IMAP command event): ignored.
    Ignored,
}

/// One exported Dovecot event, as much of it as receipts need.
#[derive(Debug, serde::Deserialize)]
pub struct CommandEvent {
    #[serde(default)]
    event: String,
    #[serde(default)]
    fields: CommandFields,
}

/// The fields of an `imap_command_finished` event.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CommandFields {
    #[serde(default)]
    user: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    cmd_name: String,
    #[serde(default)]
    cmd_args: String,
    #[serde(default)]
    tagged_reply_state: String,
}

/// Turns one exported command event into a receipt when it belongs to a session Glassbox
/// allowed (matched on Dovecot's session id, and its user must be that session's
/// mailbox). Delivery is best effort and unordered: each event stands alone, dated when it
/// arrives. The receipt is an access event written without the writer; the log writer
/// enters it into the verifiable log within a fraction of a second.
#[tracing::instrument(skip_all)]
pub async fn ingest(
    db: &Db,
    clock: &Clock,
    event: &CommandEvent,
) -> Result<Ingested, ServiceError> {
    if event.event != "imap_command_finished" || event.fields.session.is_empty() {
        return Ok(Ingested::Ignored);
    }
    let f = &event.fields;
    let Some(session) = store::find_session(db, &f.session).await? else {
        return Ok(Ingested::Ignored);
    };
    let Some(mailbox) =
        crate::db::owners::find_mailbox(db, &f.user.trim().to_ascii_lowercase()).await?
    else {
        return Ok(Ingested::Ignored);
    };
    if mailbox.id != session.mailbox_id {
        return Ok(Ingested::Ignored);
    }
    if f.cmd_name.trim().eq_ignore_ascii_case("LOGOUT") {
        // The session ended by itself: no kick for it, and it is not reported as cut.
        store::session_logged_out(db, session.id, clock.now()).await?;
        return Ok(Ingested::Nothing);
    }
    let Some(receipt) =
        crate::domain::receipt::receipt_of(&f.cmd_name, &f.cmd_args, &f.tagged_reply_state)
    else {
        return Ok(Ingested::Nothing);
    };
    let event_id = uuid::Uuid::now_v7();
    let mut tx = db.begin().await?;
    crate::db::events::append(
        &mut tx,
        &crate::db::events::NewEventRow {
            id: event_id,
            occurred_at: crate::db::ts(clock.now()),
            mailbox_id: app::model::MailboxId(session.mailbox_id),
            agent_id: Some(StaffId(session.agent_id)),
            request_id: Some(RequestId(session.request_id)),
            scope: receipt.scope,
            action: receipt.action.into(),
            resource: receipt.resource,
            decision: app::model::Decision::Allowed,
            reason: receipt.words,
            source_network: Some(session.client_ip),
        },
    )
    .await?;
    // Filed under its session, so the owner sees it under the login.
    store::insert_receipt(&mut tx, event_id, session.id, clock.now()).await?;
    tx.commit().await?;
    Ok(Ingested::Recorded)
}

/// The staff IMAP sessions under request `id` of one of `owner`'s mailboxes, each with its
/// login event, its receipts (with their places in the log) and a sentence saying what they
/// show about `who` (the agent as the owner sees them). The caller has checked that the
/// request is the owner's; every query is scoped to the owner again anyway.
pub async fn owner_sessions(
    db: &Db,
    owner: app::model::OwnerId,
    id: RequestId,
    who: &str,
) -> Result<Vec<app::model::OwnerImapSessionView>, ServiceError> {
    let sessions = store::sessions_for_owner(db, owner, id).await?;
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let receipt_seqs = store::receipt_seqs_of_request(db, owner, id).await?;
    let filed: std::collections::HashMap<i64, uuid::Uuid> =
        store::receipt_sessions(db, owner, &receipt_seqs)
            .await?
            .into_iter()
            .map(|(seq, session, _)| (seq, session))
            .collect();
    let mut seqs = receipt_seqs;
    seqs.extend(sessions.iter().map(|s| s.login_seq));
    let mut entries = crate::transparency::entries::entries_for_owner(db, owner, &seqs).await?;
    let mut views: std::collections::HashMap<i64, (app::model::EventView, String)> =
        crate::db::events::by_seqs_for_owner(db, owner, &seqs)
            .await?
            .into_iter()
            .map(|e| {
                let seq = e.seq.0;
                let resource = e.resource.clone();
                let mut view = super::history::event_view(e);
                if let Some((index, entry)) = entries.remove(&seq) {
                    view.log_index = Some(index);
                    view.log_entry = Some(entry);
                }
                (seq, (view, resource))
            })
            .collect();
    let mut out = Vec::new();
    for s in sessions {
        let Some((mut login, _)) = views.remove(&s.login_seq) else {
            continue;
        };
        login.in_session_of = None;
        let mut receipts: Vec<(app::model::EventView, String)> = filed
            .iter()
            .filter(|(_, session)| **session == s.id)
            .filter_map(|(seq, _)| views.get(seq).cloned())
            .collect();
        receipts.sort_by_key(|(v, _)| v.seq);
        let summary = crate::domain::receipt::session_summary(
            who,
            receipts
                .iter()
                .map(|(v, r)| (v.action.as_str(), r.as_str())),
        );
        out.push(app::model::OwnerImapSessionView {
            started_at: s.created_at,
            login,
            summary,
            receipts: receipts
                .into_iter()
                .map(|(mut v, _)| {
                    v.in_session_of = Some(app::model::EventSeq(s.login_seq));
                    v
                })
                .collect(),
            cut_at: s.cut_at,
            logged_out_at: s.logged_out_at,
        });
    }
    Ok(out)
}
