//! Pages people open in a browser, apart from the JSON API: the chat screen and the
//! client's files, sign-in (with a password or through an identity provider, and the
//! page a refused provider sign-in ends on) and password reset, first-run setup, invitations, where a
//! mail's links lead (unsubscribe and its undo, confirming a new address) and the notice
//! a refused link shows. Each is plain HTML that works before any script loads; a client error on a
//! page answers with a page, never JSON.
pub mod admin;
pub mod assets;
pub mod email_links;
pub mod home;
pub mod invite;
pub mod login;
pub mod next_path;
pub mod notice;
pub mod page;
pub mod password_reset;
pub mod setup;
pub mod sso;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(assets::stylesheet)
        .service(assets::client_module)
        .service(assets::app_css)
        .service(login::login_page)
        .service(login::login_form)
        .service(sso::start)
        .service(sso::callback)
        .service(sso::provider_logout)
        .service(setup::setup_page)
        .service(setup::setup_form)
        .service(invite::invite_page)
        .service(invite::invite_form)
        .service(email_links::unsubscribe_page)
        .service(email_links::unsubscribe_now)
        .service(email_links::resubscribe)
        .service(email_links::verify_email_page)
        .service(email_links::verify_email)
        .service(password_reset::forgot_page)
        .service(password_reset::forgot_form)
        .service(password_reset::reset_page)
        .service(password_reset::reset_form)
        .configure(admin::configure);
}
