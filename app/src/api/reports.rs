//! Server functions for "I don't recognise this": the owner's report, and the security
//! admins' list of reports.

use crate::error::AppError;
use crate::model::{AdminReportView, ReportPage};
use leptos::prelude::*;

/// The report page for one of the signed-in owner's accesses (`access`, its position) or
/// requests (`request`, its id).
#[server(endpoint = "load_report_page")]
pub async fn load_report_page(
    access: Option<String>,
    request: Option<String>,
) -> Result<ReportPage, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            let subject = parse_subject(access, request)?;
            super::ssr::portal()?
                .owner_report_page(owner, subject)
                .await
        }
        .await,
    )
}

/// The signed-in owner reports an access or request they do not recognise.
#[server(endpoint = "report_unrecognised")]
pub async fn report_unrecognised(
    access: Option<String>,
    request: Option<String>,
    note: Option<String>,
) -> Result<ReportPage, AppError> {
    super::ssr::with_status(
        async move {
            let owner = super::ssr::owner().await?;
            let subject = parse_subject(access, request)?;
            let page = super::ssr::portal()?
                .owner_report(owner, subject, note)
                .await?;
            super::ssr::after_plain_form_post(&format!("{}&done=reported", subject.report_href()));
            Ok(page)
        }
        .await,
    )
}

/// Owners' reports, for the signed-in security admin.
#[server(endpoint = "load_admin_reports")]
pub async fn load_admin_reports() -> Result<Vec<AdminReportView>, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            super::ssr::portal()?.admin_reports(staff).await
        }
        .await,
    )
}

/// The signed-in security admin marks report `id` handled.
#[server(endpoint = "handle_report")]
pub async fn handle_report(id: String) -> Result<AdminReportView, AppError> {
    super::ssr::with_status(
        async move {
            let staff = super::ssr::staff().await?;
            let id = id.parse().map_err(|_| AppError::NotFound)?;
            let report = super::ssr::portal()?.handle_report(staff, id).await?;
            super::ssr::after_plain_form_post("/admin/reports");
            Ok(report)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn parse_subject(
    access: Option<String>,
    request: Option<String>,
) -> Result<crate::model::ReportSubject, AppError> {
    crate::model::ReportSubject::from_query(access.as_deref(), request.as_deref()).ok_or_else(
        || {
            AppError::Invalid(
                "Open this page from an access or a request you do not recognise.".into(),
            )
        },
    )
}
