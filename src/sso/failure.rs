//! Why a sign-in through a provider did not work: a stable code, what to tell the
//! person (what happened and what to do) and a detail for the log and the admin view
//! (never a secret, never shown to the person beyond a short reason).
use actix_web::http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    UnknownProvider,
    BadCallback,
    StateInvalid,
    ProviderRefused,
    ProviderUnavailable,
    CodeRefused,
    TokenInvalid,
    IssuerMismatch,
    Deactivated,
    LinkRequired,
    SignupClosed,
    EmailMissing,
    EmailUnverified,
    IdentityTaken,
    OtherProviderRequired,
    Throttled,
}

#[derive(Debug, Clone)]
pub struct SsoFailure {
    pub kind: FailureKind,
    pub detail: String,
}

impl SsoFailure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into() }
    }
    pub fn provider(detail: impl Into<String>) -> Self {
        Self::new(FailureKind::ProviderUnavailable, detail)
    }
    pub fn exchange(detail: impl Into<String>) -> Self {
        Self::new(FailureKind::CodeRefused, detail)
    }
    pub fn token(detail: impl Into<String>) -> Self {
        Self::new(FailureKind::TokenInvalid, detail)
    }

    pub fn code(&self) -> &'static str {
        match self.kind {
            FailureKind::UnknownProvider => "sso_provider_not_found",
            FailureKind::BadCallback => "sso_bad_callback",
            FailureKind::StateInvalid => "sso_state_invalid",
            FailureKind::ProviderRefused => "sso_provider_refused",
            FailureKind::ProviderUnavailable => "sso_provider_unavailable",
            FailureKind::CodeRefused => "sso_code_refused",
            FailureKind::TokenInvalid => "sso_token_invalid",
            FailureKind::IssuerMismatch => "sso_issuer_mismatch",
            FailureKind::Deactivated => "account_deactivated",
            FailureKind::LinkRequired => "sso_link_required",
            FailureKind::SignupClosed => "sso_signup_closed",
            FailureKind::EmailMissing => "sso_email_missing",
            FailureKind::IdentityTaken => "sso_identity_taken",
            FailureKind::EmailUnverified => "sso_email_unverified",
            FailureKind::OtherProviderRequired => "sso_other_provider_required",
            FailureKind::Throttled => "too_many_attempts",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            FailureKind::UnknownProvider => StatusCode::NOT_FOUND,
            FailureKind::BadCallback | FailureKind::StateInvalid | FailureKind::EmailMissing => StatusCode::BAD_REQUEST,
            FailureKind::ProviderUnavailable | FailureKind::CodeRefused => StatusCode::BAD_GATEWAY,
            FailureKind::ProviderRefused | FailureKind::TokenInvalid | FailureKind::IssuerMismatch => {
                StatusCode::UNAUTHORIZED
            }
            FailureKind::Deactivated
            | FailureKind::SignupClosed
            | FailureKind::EmailUnverified
            | FailureKind::OtherProviderRequired => StatusCode::FORBIDDEN,
            FailureKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
            FailureKind::LinkRequired | FailureKind::IdentityTaken => StatusCode::CONFLICT,
        }
    }

    /// (what happened, what to do), for the page.
    pub fn explain(&self) -> (&'static str, &'static str) {
        match self.kind {
            FailureKind::UnknownProvider => (
                "There is no such sign-in option on this server.",
                "Go back to the sign-in page and pick one of the buttons there.",
            ),
            FailureKind::BadCallback => (
                "The identity provider sent your browser back without the answer Parley needs.",
                "Start again from the sign-in page.",
            ),
            FailureKind::StateInvalid => (
                "This sign-in was already finished, took too long, or was started in another browser.",
                "Start again from the sign-in page, in this browser.",
            ),
            FailureKind::ProviderRefused => (
                "The identity provider did not sign you in (you may have cancelled, or it refused).",
                "Try again; if it keeps happening, ask your administrator whether you may use Parley.",
            ),
            FailureKind::ProviderUnavailable => (
                "Parley could not reach the identity provider, or it answered in a way Parley cannot use.",
                "Try again in a few minutes. If it persists, tell your administrator (the error is in the server log).",
            ),
            FailureKind::CodeRefused => (
                "The identity provider refused to confirm this sign-in (the code was already used or has expired).",
                "Start again from the sign-in page.",
            ),
            FailureKind::TokenInvalid | FailureKind::IssuerMismatch => (
                "The answer from the identity provider failed Parley's security checks, so nobody was signed in.",
                "Start again from the sign-in page. If it keeps happening, tell your administrator.",
            ),
            FailureKind::Deactivated => {
                ("Your Parley account has been deactivated.", "Ask an administrator to reactivate it.")
            }
            FailureKind::LinkRequired => (
                "A Parley account with your e-mail address already exists, and this provider may not claim it.",
                "Sign in with your password, then link this provider under Settings → Sign-in methods.",
            ),
            FailureKind::SignupClosed => (
                "This identity is not linked to a Parley account, and this provider may not create one.",
                "If you have an account, sign in with your password and link this provider under Settings → \
                 Sign-in methods; otherwise ask an administrator for an invitation.",
            ),
            FailureKind::EmailUnverified => (
                "The identity provider did not confirm that your e-mail address is yours, so Parley cannot \
                 create an account or find yours by it.",
                "If you have an account, sign in with your password and link this provider under Settings → \
                 Sign-in methods; otherwise verify your address at the provider, or ask your administrator.",
            ),
            FailureKind::OtherProviderRequired => (
                "A workspace you are in signs in only through another identity provider.",
                "Go back to the sign-in page and use that workspace's sign-in button.",
            ),
            FailureKind::Throttled => (
                "Too many sign-ins were started from your network in a short time.",
                "Wait a minute, then start again from the sign-in page.",
            ),
            FailureKind::EmailMissing => (
                "The identity provider did not share your e-mail address, which a new account needs.",
                "Allow Parley to see your address at the provider, or ask your administrator.",
            ),
            FailureKind::IdentityTaken => (
                "This account at the identity provider is already linked to another Parley account.",
                "Sign in with it directly, or remove the link from the other account first.",
            ),
        }
    }
}

impl std::fmt::Display for SsoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail)
    }
}

/// A sign-in step either refuses (a page for the person) or fails (a server error).
pub enum FlowError {
    Refused(SsoFailure),
    Server(crate::error::AppError),
}

impl From<SsoFailure> for FlowError {
    fn from(f: SsoFailure) -> Self {
        Self::Refused(f)
    }
}

impl From<crate::error::AppError> for FlowError {
    fn from(e: crate::error::AppError) -> Self {
        Self::Server(e)
    }
}

impl From<sea_orm::DbErr> for FlowError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Server(e.into())
    }
}

impl From<anyhow::Error> for FlowError {
    fn from(e: anyhow::Error) -> Self {
        Self::Server(e.into())
    }
}
