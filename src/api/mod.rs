//! Route table: every HTTP endpoint, its extractor error handling, and the docs.
pub mod docs;
pub mod openapi;

use actix_web::error::{JsonPayloadError, QueryPayloadError, UrlencodedError};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::{accounts, auth, bots, channels, commands, files, messages, ops, realtime, search, webhooks, workspaces};

fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => {
            AppError::PayloadTooLarge(format!("body of {length} bytes exceeds the limit of {limit}"))
        }
        JsonPayloadError::Overflow { limit } => {
            AppError::PayloadTooLarge(format!("body exceeds the limit of {limit} bytes"))
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) if e.is_data() => AppError::invalid("body", e.to_string()),
        JsonPayloadError::Deserialize(e) => AppError::bad_request("malformed_json", format!("malformed JSON: {e}")),
        other => AppError::bad_request("malformed_json", other.to_string()),
    }
}

fn form_error(err: UrlencodedError) -> AppError {
    match err {
        UrlencodedError::Overflow { size, limit } => {
            AppError::PayloadTooLarge(format!("body of {size} bytes exceeds the limit of {limit}"))
        }
        UrlencodedError::ContentType => AppError::UnsupportedMediaType,
        other => AppError::bad_request("malformed_form", other.to_string()),
    }
}

/// A body cut off at the edge (timed out, a control character) says so; anything else
/// is the extractor's own complaint.
fn body_error(req: &HttpRequest, err: AppError) -> actix_web::Error {
    crate::edge::body::fault(req).map_or(err, |f| f.into_error("body")).into()
}

/// Forms are posted by pages: a refused one is answered with a page too.
fn form_page_error(err: UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    let err = crate::edge::body::fault(req).map_or_else(|| form_error(err), |f| f.into_error("form"));
    let Some(state) = req.app_data::<web::Data<crate::state::AppState>>() else { return err.into() };
    match crate::web::notice::or_notice(state, Err(err)) {
        Ok(page) => actix_web::error::InternalError::from_response("form refused", page).into(),
        Err(e) => e.into(),
    }
}

fn query_error(err: QueryPayloadError) -> AppError {
    AppError::bad_request("invalid_query", err.to_string())
}

pub fn configure(cfg: &mut web::ServiceConfig, max_json_bytes: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(max_json_bytes)
            .content_type_required(true)
            .content_type(|m| m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON))
            .error_handler(|err, req| body_error(req, json_error(err))),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound("route").into()))
    .app_data(web::QueryConfig::default().error_handler(|err, _| query_error(err).into()))
    .app_data(web::FormConfig::default().limit(16 * 1024).error_handler(form_page_error))
    .service(
        // Routes are tried in order, each dynamic one by a regular expression: the API
        // comes first (one prefix test sends pages past it), and in it what every
        // client calls most (their paths overlap no other route's).
        web::scope("/api/v1")
            .service(messages::routes::post_message)
            .service(messages::routes::channel_history)
            .service(channels::read_routes::mark_read)
            .service(openapi::openapi_json)
            .service(realtime::routes::websocket)
            .service(realtime::presence_routes::presence)
            .service(realtime::presence_routes::set_presence)
            .service(auth::setup::setup_api)
            .service(auth::routes::login)
            .service(auth::routes::logout)
            .service(auth::routes::logout_all)
            .service(auth::routes::signup)
            .service(auth::password_reset_routes::request_reset)
            .service(auth::password_reset_routes::complete_reset)
            .service(auth::routes::create_token)
            .service(auth::routes::list_tokens)
            .service(crate::sso::routes::providers)
            .service(crate::sso::routes::my_identities)
            .service(crate::sso::routes::start_link)
            .service(crate::sso::routes::unlink)
            .service(auth::routes::revoke_token)
            .service(accounts::routes::get_me)
            .service(accounts::routes::patch_me)
            .service(accounts::routes::change_password)
            .service(accounts::routes::change_email)
            .service(accounts::routes::get_user)
            .service(crate::notify::routes::get_email_notifications)
            .service(crate::notify::routes::set_email_notifications)
            .service(workspaces::routes::create)
            .service(workspaces::routes::list)
            .service(workspaces::routes::get)
            .service(workspaces::routes::members)
            .service(workspaces::routes::change_role)
            .service(workspaces::routes::remove_member)
            .service(workspaces::routes::create_invite)
            .service(workspaces::routes::revoke_invite)
            .service(workspaces::routes::preview_invite)
            .service(workspaces::routes::accept_invite)
            // "browse" must precede "/channels/{id}"-shaped routes of the same depth.
            .service(channels::routes::browse)
            .service(channels::routes::create)
            .service(channels::routes::list_mine)
            .service(channels::routes::conversation)
            .service(channels::routes::get)
            .service(channels::routes::update)
            .service(channels::routes::archive)
            .service(channels::routes::unarchive)
            .service(channels::routes::join)
            .service(channels::routes::leave)
            .service(channels::routes::members)
            .service(channels::routes::add_member)
            .service(channels::routes::remove_member)
            .service(channels::read_routes::mark_unread)
            .service(channels::read_routes::mark_all_read)
            .service(channels::read_routes::notifications)
            .service(
                // Instance administrators get in, workspace owners and admins into the
                // workspace-scoped routes; anyone else gets the 404 of a route that does
                // not exist, before any extractor reads the request.
                web::scope("/admin")
                    .wrap(from_fn(crate::admin::gate::api))
                    .service(crate::sso::routes::admin_status)
                    .service(crate::admin::routes::list_people)
                    .service(crate::admin::routes::get_overview)
                    .service(crate::admin::routes::system)
                    .service(crate::admin::routes::person_detail)
                    .service(crate::admin::routes::revoke_session)
                    .service(crate::admin::routes::revoke_token)
                    .service(crate::admin::routes::change_role)
                    .service(crate::admin::routes::reset_password)
                    .service(crate::audit::routes::list)
                    .service(crate::audit::routes::export)
                    .service(accounts::routes::admin_deactivate)
                    .service(accounts::routes::admin_reactivate)
                    .service(crate::mail::routes::list_mail)
                    .service(crate::mail::routes::retry_mail)
                    .service(crate::mail::routes::discard_mail)
                    .service(crate::jobs::routes::list_jobs)
                    .service(crate::jobs::routes::retry_job)
                    .service(crate::jobs::routes::discard_job)
                    .service(crate::admin::workspace_routes::list)
                    .service(crate::admin::workspace_routes::create)
                    .service(crate::admin::workspace_routes::invite)
                    .service(crate::admin::workspace_routes::detail)
                    .service(crate::admin::workspace_routes::settings)
                    .service(crate::admin::workspace_routes::limits)
                    .service(crate::admin::workspace_routes::rename)
                    .service(crate::admin::workspace_routes::set_state)
                    .service(crate::admin::workspace_routes::add_member)
                    .service(crate::admin::workspace_routes::member_role)
                    .service(crate::admin::workspace_routes::remove_member)
                    .service(crate::admin::workspace_routes::update_channel)
                    .service(crate::admin::workspace_routes::channel_state)
                    .service(crate::admin::integration_routes::list)
                    .service(crate::admin::integration_routes::switch)
                    .service(crate::admin::integration_routes::deliveries)
                    .service(crate::admin::task_routes::search)
                    .service(crate::admin::task_routes::rebuild)
                    .service(crate::admin::task_routes::task)
                    .service(crate::admin::task_routes::create_export)
                    .service(crate::admin::task_routes::exports)
                    .service(crate::admin::task_routes::download)
                    .service(crate::admin::retention_routes::overview)
                    .service(crate::admin::retention_routes::workspace)
                    .service(crate::admin::retention_routes::channel)
                    .service(crate::admin::retention_routes::person)
                    .service(crate::admin::retention_routes::run),
            )
            .service(messages::routes::list_pins)
            .service(messages::routes::get_message)
            .service(messages::routes::edit_message)
            .service(messages::routes::delete_message)
            .service(messages::routes::thread)
            .service(messages::routes::add_reaction)
            .service(messages::routes::remove_reaction)
            .service(messages::routes::pin)
            .service(messages::routes::unpin)
            .service(files::routes::upload_file)
            .service(files::routes::list)
            .service(files::routes::get)
            .service(files::routes::content)
            .service(files::routes::thumbnail)
            .service(files::routes::remove)
            .service(files::routes::storage)
            .service(search::routes::search)
            .service(bots::routes::create)
            .service(bots::routes::list)
            .service(bots::routes::update)
            .service(bots::routes::deactivate)
            .service(bots::routes::reactivate)
            .service(bots::routes::create_token)
            .service(bots::routes::tokens)
            .service(bots::routes::revoke_token)
            .service(webhooks::incoming::routes::create)
            .service(webhooks::incoming::routes::list)
            .service(webhooks::incoming::routes::update)
            .service(webhooks::incoming::routes::rotate)
            .service(webhooks::incoming::routes::remove)
            .service(crate::workspaces::settings_routes::settings)
            .service(webhooks::outgoing::routes::create)
            .service(webhooks::outgoing::routes::list)
            .service(webhooks::outgoing::routes::update)
            .service(webhooks::outgoing::routes::rotate)
            .service(webhooks::outgoing::routes::remove)
            .service(webhooks::outgoing::routes::deliveries)
            .service(webhooks::outgoing::routes::redeliver)
            .service(webhooks::outgoing::routes::test)
            .service(commands::routes::available)
            .service(commands::routes::run)
            .service(commands::routes::create)
            .service(commands::routes::list)
            .service(commands::routes::update)
            .service(commands::routes::remove),
    )
    .service(ops::health::healthz)
    .service(ops::health::readyz)
    .service(ops::prometheus::metrics_endpoint)
    .configure(crate::web::configure)
    .service(docs::docs_page)
    .service(webhooks::incoming::receive::slack_format)
    .service(webhooks::incoming::receive::native_format)
    .service(commands::routes::respond)
    .service(crate::sso::logout::backchannel)
    .service(crate::slack_api::web_api)
    .service(crate::slack_api::uploads::receive::receive)
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("route"))
}
