//! The one page shell: the document, the skip link, the brand header and the footer, used
//! by the hydrated app ([`crate::shell`]) and by the few pages the server renders outside
//! it ([`StandalonePage`]: sign-in steps, the pages email links open). Those pages carry no
//! script, so they need no CSP nonce and work the same with JavaScript off; they share the
//! stylesheet, landmarks and heading order with the rest of the site.

use leptos::prelude::*;

/// The stylesheet as the server compiles it in: the standalone pages link it (the app links
/// the content-hashed copy of the build when there is one; see [`crate::shell`]).
pub const STYLESHEET: &str = "/pkg/glassbox.css";

/// The site's icon.
pub const ICON: &str = "/favicon.svg";

/// `<!DOCTYPE html><html lang="en">` with the meta tags every page needs; `head` adds the
/// rest of `<head>`.
#[component]
pub fn Document(head: AnyView, children: Children) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                {head}
            </head>
            <body>{children()}</body>
        </html>
    }
}

/// The first thing a keyboard reaches: a jump past the header to `<main id="main">`.
#[component]
pub fn SkipLink() -> impl IntoView {
    view! { <a class="skip-link" href="#main">"Skip to content"</a> }
}

/// The site's footer.
#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>"Glassbox — account access transparency. Every access recorded; nothing without consent."</p>
            <p><a href="/transparency">"Transparency"</a>" · "<a href="/staff/login" rel="external">"Staff sign-in"</a></p>
        </footer>
    }
}

/// A whole page served outside the app's router (no hydration, no navigation): `title`
/// goes into `<title>` as "… — Glassbox"; the children go into `<main>`, and start with
/// the page's `<h1>`.
#[component]
pub fn StandalonePage(title: String, children: Children) -> impl IntoView {
    view! {
        <Document head=view! {
            <title>{format!("{title} — Glassbox")}</title>
            <link rel="stylesheet" href=STYLESHEET/>
            <link rel="icon" href=ICON type="image/svg+xml"/>
        }.into_any()>
            <div class="page">
                <SkipLink/>
                <header class="site-header">
                    <a class="brand" href="/">"Glassbox"</a>
                </header>
                <main id="main" tabindex="-1">{children()}</main>
                <SiteFooter/>
            </div>
        </Document>
    }
}

/// Renders a [`StandalonePage`] to a complete HTML document. Leptos escapes every text and
/// attribute value, so the server needs no escaper of its own for pages.
#[cfg(feature = "ssr")]
pub fn render_standalone(title: &str, main: impl IntoView + 'static) -> String {
    let title = title.to_string();
    let owner = Owner::new();
    owner.with(move || view! { <StandalonePage title>{main}</StandalonePage> }.to_html())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_standalone_page_has_the_sites_landmarks_and_escapes_what_it_is_given() {
        let html = render_standalone(
            "O'Brien <b>",
            view! { <h1>"Hello"</h1><p>{"<script>alert('x')</script>".to_string()}</p> },
        );
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<html lang=\"en\">"));
        assert!(
            html.contains("<title>O'Brien &lt;b&gt; — Glassbox</title>"),
            "{html}"
        );
        assert!(html.contains("href=\"/pkg/glassbox.css\""));
        assert!(
            html.contains("<a href=\"#main\" class=\"skip-link\">Skip to content</a>"),
            "{html}"
        );
        assert!(
            html.contains("<main id=\"main\" tabindex=\"-1\"><h1>Hello</h1>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script"), "no script at all: {html}");
        assert!(html.contains("<footer class=\"site-footer\">"));
    }
}
