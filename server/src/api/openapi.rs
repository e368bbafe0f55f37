//! The OpenAPI 3.1 document of Service API v1, generated from the handlers and their types
//! (`utoipa`): the routes in it are the routes that exist (`utoipa_axum::routes!` mounts each
//! handler at the path its `#[utoipa::path]` names), and every limit the server enforces is
//! stated in the schemas below, next to the rule it mirrors.

use crate::config::Settings;
use crate::domain::access_request::{MAX_ADDRESS_CHARS, MAX_JUSTIFICATION_CHARS, MAX_TICKET_CHARS};
use app::model::JustificationCode;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema,
    SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::Modify;

/// The document's frame: title, version, the service-token scheme.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Glassbox Service API",
        version = "1",
        description = "For the mail system and support tooling: ask for access on an agent's behalf, check an access before it happens (every check is recorded in the verifiable log before it is answered), and let Dovecot ask before a staff IMAP login. Errors are `{\"error\":{\"code\",\"message\"}}`: `code` is stable, `message` says what to do.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&ServiceToken),
    security(("serviceToken" = []))
)]
pub struct ApiDoc;

struct ServiceToken;

impl Modify for ServiceToken {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "serviceToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A service token, `gbx_…` (`glassbox service-token create NAME`).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The finished document for this installation: the configured longest grant is the
/// documented maximum of `duration_minutes`.
pub fn document(mut doc: OpenApi, settings: &Settings) -> OpenApi {
    set_maximum(
        &mut doc,
        "CreateAccessRequest",
        "duration_minutes",
        settings.requests.max_grant_minutes,
    );
    doc
}

fn set_maximum(doc: &mut OpenApi, schema: &str, property: &str, maximum: i64) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) {
        if let Some(RefOr::T(Schema::Object(field))) = object.properties.get_mut(property) {
            field.maximum = Some(maximum.into());
        }
    }
}

// What a text field may hold (`domain::text`): no C0/C1 controls except line feed and tab
// (CR only before LF), none of the refused format characters, and something besides
// white space. Written for both ECMAScript and Python regular expressions.
const REFUSED: &str =
    r"\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff";

// White space as Rust's `str::trim` reads it (Unicode White_Space), spelled out: `\s` means
// something slightly different in ECMAScript.
const WS: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn text_pattern() -> String {
    format!(r"^(?:[^{REFUSED}\r]|\r\n)*[^{REFUSED}{WS}](?:[^{REFUSED}\r]|\r\n)*$")
}

// One printable ASCII character other than `@` / other than `@` and `.`.
const ADDR: &str = r"[!-?A-~]";
const ADDR_EDGE: &str = r"[!-\-/-?A-~]";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A mailbox address as `domain::access_request::parse_mailbox` takes it: printable ASCII,
/// one `@`, a dot inside the domain, at most 254 characters (surrounding white space is
/// ignored; case is not significant).
pub fn mailbox() -> Schema {
    string()
        .max_length(Some(MAX_ADDRESS_CHARS))
        .pattern(Some(format!(
            r"^[{WS}]*{ADDR}+@{ADDR_EDGE}{ADDR}*\.{ADDR}*{ADDR_EDGE}[{WS}]*$"
        )))
        .examples(["alice@example.org"])
        .description(Some("The mailbox's address."))
        .into()
}

/// A staff handle as the checks take it: 1 to 128 printable ASCII characters.
pub fn agent() -> Schema {
    string()
        .pattern(Some(r"^[!-~]{1,128}$"))
        .examples(["sam.rivera"])
        .description(Some(
            "The support agent's handle (case is not significant).",
        ))
        .into()
}

/// `action` of a check.
pub fn action() -> Schema {
    string()
        .pattern(Some(r"^[a-z0-9_]{1,64}$"))
        .examples(["read_message"])
        .into()
}

/// 1 to `max` printable ASCII characters without spaces.
fn printable(max: usize) -> ObjectBuilder {
    string().pattern(Some(format!(r"^[!-~]{{1,{max}}}$")))
}

/// `resource` of a check.
pub fn resource() -> Schema {
    printable(256)
        .description(Some(
            "What is accessed, as the mail system names it (opaque to Glassbox).",
        ))
        .examples(["folder:inbox"])
        .into()
}

/// `source_network` of a check.
pub fn source_network() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
        .pattern(Some(r"^[!-~]{1,64}$"))
        .description(Some(
            "Where the access comes from, as the mail system sees it.",
        ))
        .into()
}

/// Dovecot's session id.
pub fn session() -> Schema {
    printable(64).into()
}

/// An IPv4 or IPv6 address.
pub fn client_ip() -> Schema {
    let format = |f: KnownFormat| string().format(Some(SchemaFormat::KnownFormat(f)));
    OneOfBuilder::new()
        .item(format(KnownFormat::Ipv4))
        .item(format(KnownFormat::Ipv6))
        .description(Some("The IMAP client's address."))
        .into()
}

/// The per-grant IMAP secret.
pub fn secret() -> Schema {
    string()
        .max_length(Some(256))
        .description(Some("The IMAP password the agent typed (`gbg_…`)."))
        .into()
}

fn code(values: &[&str]) -> ObjectBuilder {
    string().enum_values(Some(values.iter().copied()))
}

fn text() -> ObjectBuilder {
    string()
        .max_length(Some(MAX_JUSTIFICATION_CHARS))
        .pattern(Some(text_pattern()))
        .description(Some(
            "Why, in the agent's words (the owner reads it). Line breaks allowed; no control or invisible formatting characters.",
        ))
}

fn ticket(required: bool) -> ObjectBuilder {
    let chars = format!(r"[A-Za-z0-9\-_#./:]{{1,{MAX_TICKET_CHARS}}}");
    if required {
        string().pattern(Some(format!(r"^[{WS}]*{chars}[{WS}]*$")))
    } else {
        ObjectBuilder::new()
            .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
            .pattern(Some(format!(r"^[{WS}]*(?:{chars})?[{WS}]*$")))
    }
}

/// Why an agent asks: a ticket is required when the owner asked for help. Break-glass has
/// its own path and is refused here.
pub fn justification() -> Schema {
    let others: Vec<&str> = JustificationCode::ALL
        .iter()
        .filter(|c| {
            !matches!(
                c,
                JustificationCode::CustomerInitiatedSupport
                    | JustificationCode::BreakGlassEmergency
            )
        })
        .map(|c| c.as_str())
        .collect();
    let object = |codes: &[&str], required: bool| {
        let o = ObjectBuilder::new()
            .property("code", code(codes))
            .required("code")
            .property("text", text())
            .required("text")
            .property("ticket", ticket(required))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
        if required {
            o.required("ticket")
        } else {
            o
        }
    };
    OneOfBuilder::new()
        .item(object(
            &[JustificationCode::CustomerInitiatedSupport.as_str()],
            true,
        ))
        .item(object(&others, false))
        .description(Some(
            "`customer_initiated_support` needs the owner's ticket reference.",
        ))
        .into()
}

/// The scopes asked for: at least one.
pub fn scopes() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Scope")))
        .min_items(Some(1))
        .into()
}
