//! Server functions, grouped by resource. Each is a thin adapter: find out who is asking,
//! call the [`port::Portal`] the server provides, and return a view or an [`AppError`].

pub mod emergency;
pub mod incidents;
pub mod notifications;
pub mod overview;
#[cfg(feature = "ssr")]
pub mod port;
pub mod reports;
pub mod requests;
pub mod roster;
pub mod rules;
pub mod session;
pub mod staff;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    //! What every server function needs: the portal and the signed-in viewer.
    use super::port::Portal;
    use crate::error::AppError;
    use crate::model::Viewer;
    use leptos::prelude::use_context;
    use std::sync::Arc;

    /// The portal the server provided through context.
    pub fn portal() -> Result<Arc<dyn Portal>, AppError> {
        use_context::<Arc<dyn Portal>>().ok_or_else(|| {
            tracing::error!("BUG: no Portal in the Leptos context");
            AppError::Internal {
                reference: "no-portal".into(),
            }
        })
    }

    /// Gives a failed server function the HTTP status its error deserves (4xx for the
    /// caller's mistakes), instead of a blanket 500. A form the browser posted by itself
    /// (JavaScript off) keeps the redirect the server-function layer gives it, back to the
    /// form's page with the error in the address (a browser never follows a `Location` on
    /// a 400; it would show the error's JSON): the page's action reads the error from there
    /// and shows it next to the form, like it does with JavaScript.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            if !is_plain_form_post() {
                e.set_response_status();
            }
        }
        result
    }

    /// Whether the browser posted this form by itself (JavaScript off: it asks for HTML).
    fn is_plain_form_post() -> bool {
        use_context::<axum::http::request::Parts>().is_some_and(|p| {
            p.headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        })
    }

    /// After a form the browser posted by itself (JavaScript off: it asks for HTML), sends
    /// it on to `path` (`302`, which the browser follows with a GET): the page it lands on
    /// says what happened, and Back or reload never send the form again. With JavaScript
    /// the page shows the result in place, so nothing is redirected.
    pub fn after_plain_form_post(path: &str) {
        if is_plain_form_post() && axum::http::HeaderValue::from_str(path).is_ok() {
            leptos_axum::redirect(path);
        }
    }

    /// The signed-in owner (`Forbidden` for staff, `Unauthorized` for nobody).
    pub async fn owner() -> Result<crate::model::OwnerId, AppError> {
        match viewer().await? {
            Some(Viewer::Owner { owner_id, .. }) => Ok(owner_id),
            Some(_) => Err(AppError::Forbidden),
            None => Err(AppError::Unauthorized),
        }
    }

    /// The signed-in staff member (`Forbidden` for owners, `Unauthorized` for nobody).
    pub async fn staff() -> Result<crate::model::StaffId, AppError> {
        match viewer().await? {
            Some(Viewer::Staff { staff_id, .. }) => Ok(staff_id),
            Some(_) => Err(AppError::Forbidden),
            None => Err(AppError::Unauthorized),
        }
    }

    /// When this session last confirmed a passkey (the server's session layer puts it into
    /// request extensions; none when it did not).
    pub async fn passkey_confirmed() -> crate::model::PasskeyConfirmed {
        leptos_axum::extract::<axum::Extension<crate::model::PasskeyConfirmed>>()
            .await
            .map(|axum::Extension(c)| c)
            .unwrap_or_default()
    }

    /// The signed-in viewer, put into request extensions by the server's session layer.
    pub async fn viewer() -> Result<Option<Viewer>, AppError> {
        let axum::Extension(viewer) = leptos_axum::extract::<axum::Extension<Option<Viewer>>>()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "BUG: no viewer extension on the request");
                AppError::Internal {
                    reference: "no-viewer".into(),
                }
            })?;
        Ok(viewer)
    }
}
