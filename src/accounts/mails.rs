//! Mails about an account, sent whatever the person's notification settings say: a
//! password reset link, a notice when the password changed, deactivation and
//! reactivation, an invitation to a workspace, confirming a new address (and telling
//! the old one). Each is written with the change that causes it (pass its
//! transaction) and sent by mail::outbox.
use askama::Template;
use sea_orm::ConnectionTrait;

use crate::accounts::model::user;
use crate::clock::{human_utc, now_ms};
use crate::error::AppResult;
use crate::mail::compose::{one_line, Draft};
use crate::mail::{outbox, text_part};
use crate::settings::Settings;

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct ResetHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    email: &'a str,
    link: &'a str,
    minutes: i64,
}

text_part!(ResetText = "email/password_reset.txt", ResetHtml);

#[derive(Template)]
#[template(path = "email/password_changed.html")]
struct ChangedHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    email: &'a str,
    at: &'a str,
    by_reset: bool,
    reset_link: &'a str,
}

text_part!(ChangedText = "email/password_changed.txt", ChangedHtml);

#[derive(Template)]
#[template(path = "email/account_status.html")]
struct StatusHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    email: &'a str,
    active: bool,
}

text_part!(StatusText = "email/account_status.txt", StatusHtml);

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InviteHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    inviter: &'a str,
    workspace: &'a str,
    role: &'a str,
    link: &'a str,
    until: &'a str,
}

text_part!(InviteText = "email/invitation.txt", InviteHtml);

fn draft(
    to_name: &str,
    to_address: &str,
    subject: &str,
    html: &impl Template,
    text: &impl Template,
) -> AppResult<Draft> {
    Ok(Draft {
        to_name: one_line(to_name),
        to_address: to_address.to_owned(),
        subject: subject.to_owned(),
        html: html.render().map_err(anyhow::Error::from)?,
        text: text.render().map_err(anyhow::Error::from)?,
        unsubscribe_url: None,
    })
}

pub async fn password_reset(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    u: &user::Model,
    link: &str,
    minutes: i64,
) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&u.display_name));
    let subject = "Reset your Parley password".to_owned();
    let html = ResetHtml { subject: &subject, name: &name, site, email: &u.email, link, minutes };
    let text = ResetText(&html);
    outbox::enqueue(conn, settings, "password_reset", Some(u.id), &draft(&name, &u.email, &subject, &html, &text)?)
        .await?;
    Ok(())
}

pub async fn password_changed(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    u: &user::Model,
    by_reset: bool,
) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&u.display_name));
    let subject = "Your Parley password was changed".to_owned();
    let at = human_utc(now_ms());
    let reset_link = format!("{site}/forgot-password");
    let html = ChangedHtml {
        subject: &subject,
        name: &name,
        site,
        email: &u.email,
        at: &at,
        by_reset,
        reset_link: &reset_link,
    };
    let text = ChangedText(&html);
    outbox::enqueue(conn, settings, "password_changed", Some(u.id), &draft(&name, &u.email, &subject, &html, &text)?)
        .await?;
    Ok(())
}

pub async fn account_status(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    u: &user::Model,
    active: bool,
) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&u.display_name));
    let subject =
        if active { "Your Parley account was reactivated" } else { "Your Parley account was deactivated" }.to_owned();
    let html = StatusHtml { subject: &subject, name: &name, site, email: &u.email, active };
    let text = StatusText(&html);
    let kind = if active { "account_reactivated" } else { "account_deactivated" };
    outbox::enqueue(conn, settings, kind, Some(u.id), &draft(&name, &u.email, &subject, &html, &text)?).await?;
    Ok(())
}

pub struct Invitation<'a> {
    pub to: &'a str,
    pub inviter: &'a str,
    pub workspace: &'a str,
    pub role: &'a str,
    pub link: &'a str,
    pub expires_at: i64,
}

pub async fn invitation(conn: &impl ConnectionTrait, settings: &Settings, inv: &Invitation<'_>) -> AppResult<()> {
    let site = settings.site_base();
    let (inviter, workspace) = (one_line(inv.inviter), one_line(inv.workspace));
    let subject = format!("{inviter} invites you to {workspace} on Parley");
    let until = human_utc(inv.expires_at);
    let html = InviteHtml {
        subject: &subject,
        name: inv.to,
        site,
        inviter: &inviter,
        workspace: &workspace,
        role: inv.role,
        link: inv.link,
        until: &until,
    };
    let text = InviteText(&html);
    outbox::enqueue(conn, settings, "invitation", None, &draft("", inv.to, &subject, &html, &text)?).await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "email/confirm_address.html")]
struct ConfirmHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    new_email: &'a str,
    link: &'a str,
    hours: i64,
}

text_part!(ConfirmText = "email/confirm_address.txt", ConfirmHtml);

#[derive(Template)]
#[template(path = "email/address_change_asked.html")]
struct AskedHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    email: &'a str,
    new_email: &'a str,
    reset_link: &'a str,
}

text_part!(AskedText = "email/address_change_asked.txt", AskedHtml);

/// To the new address: the link that makes it the account's.
pub async fn confirm_address(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    u: &user::Model,
    new_email: &str,
    link: &str,
) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&u.display_name));
    let subject = "Confirm your new Parley address".to_owned();
    let hours = super::email_change::VALID_HOURS;
    let html = ConfirmHtml { subject: &subject, name: &name, site, new_email, link, hours };
    let text = ConfirmText(&html);
    outbox::enqueue(conn, settings, "confirm_address", Some(u.id), &draft(&name, new_email, &subject, &html, &text)?)
        .await?;
    Ok(())
}

/// To the present address: someone asked to move the account elsewhere.
pub async fn address_change_asked(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    u: &user::Model,
    new_email: &str,
) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&u.display_name));
    let subject = "A new address was asked for your Parley account".to_owned();
    let reset_link = format!("{site}/forgot-password");
    let html = AskedHtml { subject: &subject, name: &name, site, email: &u.email, new_email, reset_link: &reset_link };
    let text = AskedText(&html);
    outbox::enqueue(
        conn,
        settings,
        "address_change_asked",
        Some(u.id),
        &draft(&name, &u.email, &subject, &html, &text)?,
    )
    .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "email/address_in_use.html")]
struct InUseHtml<'a> {
    subject: &'a str,
    name: &'a str,
    site: &'a str,
    email: &'a str,
}

text_part!(InUseText = "email/address_in_use.txt", InUseHtml);

/// To an address another account asked to move to, which already has an account: the
/// asker is answered the same either way, so whether an address has an account stays
/// known only to its owner.
pub async fn address_in_use(conn: &impl ConnectionTrait, settings: &Settings, owner: &user::Model) -> AppResult<()> {
    let (site, name) = (settings.site_base(), one_line(&owner.display_name));
    let subject = "Your address was given for another Parley account".to_owned();
    let html = InUseHtml { subject: &subject, name: &name, site, email: &owner.email };
    let text = InUseText(&html);
    outbox::enqueue(
        conn,
        settings,
        "address_in_use",
        Some(owner.id),
        &draft(&name, &owner.email, &subject, &html, &text)?,
    )
    .await?;
    Ok(())
}
