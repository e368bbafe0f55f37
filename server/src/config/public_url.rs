//! `GLASSBOX__PUBLIC_URL`, parsed once. Every link in an email, the OIDC redirect URI, the
//! same-origin check and the log's default name are made from this one value, so none of
//! them re-parses the text.

use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

/// The address at which people reach Glassbox: an absolute `http://` or `https://` URL with
/// a host. It may carry a base path (`https://example.org/glassbox`).
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(Url);

impl PublicUrl {
    /// Parses `text`, with a message naming `GLASSBOX__PUBLIC_URL` when it is not usable.
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = || {
            format!(
                "GLASSBOX__PUBLIC_URL ({text}) must start with http:// or https:// and name a host"
            )
        };
        let url = Url::parse(text.trim()).map_err(|_| problem())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(problem());
        }
        Ok(Self(url))
    }

    /// The URL without a trailing `/`, so a path starting with `/` can follow it.
    pub fn base(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// `path` (starting with `/`) under the public URL, base path kept:
    /// `https://example.org/glassbox` + `/me` = `https://example.org/glassbox/me`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The host name or address, without port: the right-hand side of Message-IDs.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The host with the port when it is not the scheme's default (`127.0.0.1:3000`).
    pub fn authority(&self) -> String {
        match self.0.port() {
            Some(port) => format!("{}:{port}", self.host()),
            None => self.host().to_string(),
        }
    }

    /// The origin browsers send in `Origin` for our pages (`https://example.org`).
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// Whether the URL is https (cookies are then `Secure` by default).
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }
}

impl Default for PublicUrl {
    #[expect(clippy::expect_used, reason = "a constant that parses")]
    fn default() -> Self {
        Self(Url::parse("http://127.0.0.1:3000").expect("BUG: the default public URL parses"))
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> Self {
        url.base().to_string()
    }
}

/// Prints the URL as configured, without the `/` that parsing adds to a bare host.
impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base())
    }
}

impl fmt::Debug for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.base())
    }
}

/// The URL as text, for code that still formats links by hand.
impl std::ops::Deref for PublicUrl {
    type Target = str;

    fn deref(&self) -> &str {
        self.base()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_http_or_https_is_refused_by_name() {
        for bad in [
            "glassbox.example.org",
            "ftp://glassbox.example.org",
            "http://",
        ] {
            let err = PublicUrl::parse(bad).unwrap_err();
            assert!(err.contains("GLASSBOX__PUBLIC_URL"), "{err}");
        }
    }

    #[test]
    fn links_keep_the_base_path_and_the_origin_drops_it() {
        let url = PublicUrl::parse("https://glassbox.example.org:8443/base/").unwrap();
        assert_eq!(url.join("/me"), "https://glassbox.example.org:8443/base/me");
        assert_eq!(url.host(), "glassbox.example.org");
        assert_eq!(url.authority(), "glassbox.example.org:8443");
        assert_eq!(url.origin(), "https://glassbox.example.org:8443");
        assert!(url.is_https());
        let local = PublicUrl::default();
        assert_eq!(local.to_string(), "http://127.0.0.1:3000");
        assert_eq!(
            local.join("/auth/callback"),
            "http://127.0.0.1:3000/auth/callback"
        );
        assert_eq!(local.authority(), "127.0.0.1:3000");
    }
}
