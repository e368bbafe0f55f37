//! A software authenticator for the API tests: a P-256 key that answers WebAuthn creation
//! and assertion options the way a security key does (attestation "none", user present and
//! verified, a signature counter that grows), so the server's real WebAuthn checks run on
//! real signatures. Browser tests use Chromium's virtual authenticator instead.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// One credential on a software authenticator.
#[derive(Clone)]
pub struct SoftKey {
    key: SigningKey,
    id: Vec<u8>,
    /// The signature counter: each assertion adds one before signing.
    pub counter: u32,
    /// Whether it reports user verification (a PIN or fingerprint).
    pub verifies_user: bool,
    /// The origin its browser reports (`http://localhost:<port>` by default).
    pub origin: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    head(out, 2, bytes.len());
    out.extend_from_slice(bytes);
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    head(out, 3, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// A CBOR head: major type and length (up to 65535, all these tests need).
fn head(out: &mut Vec<u8>, major: u8, len: usize) {
    let m = major << 5;
    match len {
        0..=23 => out.push(m | len as u8),
        24..=255 => out.extend_from_slice(&[m | 24, len as u8]),
        _ => {
            out.push(m | 25);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
}

impl SoftKey {
    /// A new key with a random credential id.
    pub fn new() -> Self {
        let seed = [
            uuid::Uuid::new_v4().into_bytes(),
            uuid::Uuid::new_v4().into_bytes(),
        ]
        .concat();
        Self {
            key: SigningKey::from_slice(&seed).expect("a P-256 key"),
            id: uuid::Uuid::new_v4().into_bytes().to_vec(),
            counter: 0,
            verifies_user: true,
            origin: "http://localhost:3000".into(),
        }
    }

    /// The credential id, as the server names it (base64url).
    pub fn id(&self) -> String {
        b64(&self.id)
    }

    fn flags(&self, attested: bool) -> u8 {
        let mut f = 0x01; // user present
        if self.verifies_user {
            f |= 0x04;
        }
        if attested {
            f |= 0x40;
        }
        f
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .expect("client data")
    }

    /// The browser's answer to `navigator.credentials.create(options)`.
    pub fn create(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rp"]["id"].as_str().expect("an rp id");
        let client_data = self.client_data("webauthn.create", challenge);
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut cose, point.x().expect("x").as_slice());
        cose.push(0x22);
        cbor_bytes(&mut cose, point.y().expect("y").as_slice());
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags(true));
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID: none
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&cose);
        let mut attestation = vec![0xa3];
        cbor_text(&mut attestation, "fmt");
        cbor_text(&mut attestation, "none");
        cbor_text(&mut attestation, "attStmt");
        attestation.push(0xa0);
        cbor_text(&mut attestation, "authData");
        cbor_bytes(&mut attestation, &auth_data);
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data),
            },
            "extensions": {},
        })
    }

    /// The browser's answer to `navigator.credentials.get(options)`: the counter grows by
    /// one, then the authenticator data and the client data's hash are signed.
    pub fn get(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rpId"].as_str().expect("an rp id");
        self.counter += 1;
        self.sign(rp_id, challenge)
    }

    /// An assertion over `challenge` for `rp_id` with the current counter, unchanged.
    pub fn sign(&self, rp_id: &str, challenge: &str) -> Value {
        let client_data = self.client_data("webauthn.get", challenge);
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags(false));
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        json!({
            "id": self.id(),
            "rawId": self.id(),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": null,
            },
            "extensions": {},
        })
    }
}
