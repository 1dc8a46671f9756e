//! The OpenAPI 3 document for every route, served at /api/v1/openapi.json.
use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{accounts, auth, bots, channels, commands, files, messages, ops, realtime, search, webhooks, workspaces};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::sessions::COOKIE_SECURE))),
        );
    }
}

/// What any /api/v1 operation may answer besides its own outcomes: the edge's and the
/// extractors' refusals, documented once here rather than on each route.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |text: &str| {
            let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            ResponseBuilder::new().description(text).content("application/json", body).build()
        };
        // (status, meaning, whether it applies: API route, admin route, has a body, writes)
        type Applies = fn(bool, bool, bool, bool) -> bool;
        let common: [(&str, &str, Applies); 9] = [
            ("400", "malformed_json, invalid_query, malformed_form: the request could not be read", |_, _, _, _| true),
            ("401", "unauthenticated: no valid session or token (or, for sign-in, bad_credentials)", |api, _, _, _| {
                api
            }),
            ("403", "not_allowed: a workspace's admin lacks the right (legal holds, archiving)", |_, admin, _, _| {
                admin
            }),
            (
                "409",
                "workspace_archived, channel_archived: nothing changes there until it is unarchived",
                |api, _, _, w| api && w,
            ),
            ("413", "payload_too_large: the body is over the limit", |_, _, body, _| body),
            ("415", "unsupported_media_type: send application/json", |_, _, body, _| body),
            ("422", "invalid_input: a path, query or body field is invalid; `field` names it", |_, _, _, _| true),
            ("429", "rate_limited, too_many_connections: retry after Retry-After seconds", |_, _, _, _| true),
            (
                "503",
                "database_unavailable, service_unavailable, shutting_down: retry after Retry-After",
                |_, _, _, _| true,
            ),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let admin = path.starts_with("/api/v1/admin/");
            let operations = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, writes) in operations {
                let Some(op) = op.as_mut() else { continue };
                let body = op.request_body.is_some();
                for (status, text, applies) in &common {
                    if applies(api, admin, body, writes) {
                        op.responses.responses.entry((*status).to_owned()).or_insert_with(|| error(text).into());
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Parley API", description = "Team chat: workspaces, channels, messages. \
        Authenticate with the session cookie (browsers; unsafe methods need a matching Origin) \
        or `Authorization: Bearer pat_…`. Errors are `{\"error\":{\"code\",\"message\"}}` with stable codes."),
    modifiers(&Security, &CommonResponses),
    security(("bearer" = []), ("session_cookie" = [])),
    paths(
        ops::health::healthz, ops::health::readyz,
        auth::setup::setup_api, auth::routes::login, auth::routes::logout, auth::routes::logout_all,
        auth::routes::signup, auth::password_reset_routes::request_reset, auth::password_reset_routes::complete_reset, auth::routes::create_token, auth::routes::list_tokens, auth::routes::revoke_token,
        accounts::routes::get_me, accounts::routes::patch_me, accounts::routes::change_password, accounts::routes::change_email,
        accounts::routes::get_user, crate::admin::routes::list_people, crate::admin::routes::get_overview, crate::admin::routes::system, crate::admin::routes::person_detail, crate::admin::routes::revoke_session,
        crate::admin::routes::revoke_token, crate::admin::routes::change_role, crate::admin::routes::reset_password, crate::audit::routes::list, crate::audit::routes::export, accounts::routes::admin_deactivate,
        accounts::routes::admin_reactivate, crate::mail::routes::list_mail, crate::mail::routes::retry_mail, crate::mail::routes::discard_mail,
        crate::admin::workspace_routes::list, crate::admin::workspace_routes::detail,
        crate::admin::workspace_routes::create, crate::admin::workspace_routes::invite,
        crate::admin::workspace_routes::settings, crate::admin::workspace_routes::limits,
        crate::admin::workspace_routes::rename, crate::admin::workspace_routes::set_state,
        crate::admin::workspace_routes::add_member,
        crate::admin::workspace_routes::member_role,
        crate::admin::workspace_routes::remove_member, crate::admin::workspace_routes::update_channel,
        crate::admin::workspace_routes::channel_state, crate::admin::integration_routes::list,
        crate::admin::integration_routes::switch, crate::admin::integration_routes::deliveries,
        crate::admin::task_routes::search, crate::admin::task_routes::rebuild, crate::admin::task_routes::task,
        crate::admin::task_routes::create_export, crate::admin::task_routes::exports, crate::admin::task_routes::download,
        crate::admin::retention_routes::overview, crate::admin::retention_routes::workspace,
        crate::admin::retention_routes::channel, crate::admin::retention_routes::person, crate::admin::retention_routes::run, crate::jobs::routes::list_jobs, crate::jobs::routes::retry_job, crate::jobs::routes::discard_job,
        crate::sso::routes::providers, crate::sso::routes::my_identities, crate::sso::routes::start_link, crate::sso::routes::unlink,
        crate::sso::routes::admin_status, crate::sso::logout::backchannel,
        crate::notify::routes::get_email_notifications, crate::notify::routes::set_email_notifications,
        workspaces::routes::create, workspaces::routes::list, workspaces::routes::get, workspaces::routes::members,
        workspaces::routes::change_role, workspaces::routes::remove_member, workspaces::routes::create_invite,
        workspaces::routes::revoke_invite, workspaces::routes::preview_invite, workspaces::routes::accept_invite,
        channels::routes::create, channels::routes::list_mine, channels::routes::browse, channels::routes::conversation,
        channels::routes::get, channels::routes::update, channels::routes::archive, channels::routes::unarchive,
        channels::routes::join, channels::routes::leave, channels::routes::members, channels::routes::add_member,
        channels::routes::remove_member, channels::read_routes::mark_read, channels::read_routes::mark_unread,
        channels::read_routes::mark_all_read, channels::read_routes::notifications,
        messages::routes::post_message, messages::routes::channel_history, messages::routes::list_pins,
        messages::routes::get_message, messages::routes::edit_message, messages::routes::delete_message,
        messages::routes::thread, messages::routes::add_reaction, messages::routes::remove_reaction,
        messages::routes::pin, messages::routes::unpin,
        files::routes::upload_file, files::routes::list, files::routes::get, files::routes::content,
        files::routes::thumbnail, files::routes::remove, files::routes::storage,
        search::routes::search,
        realtime::routes::websocket, realtime::presence_routes::presence, realtime::presence_routes::set_presence,
        bots::routes::create, bots::routes::list, bots::routes::update, bots::routes::deactivate,
        bots::routes::reactivate, bots::routes::create_token, bots::routes::tokens, bots::routes::revoke_token,
        webhooks::incoming::routes::create, webhooks::incoming::routes::list, webhooks::incoming::routes::update,
        webhooks::incoming::routes::rotate, webhooks::incoming::routes::remove, crate::workspaces::settings_routes::settings,
        webhooks::incoming::receive::slack_format, webhooks::incoming::receive::native_format,
        webhooks::outgoing::routes::create, webhooks::outgoing::routes::list, webhooks::outgoing::routes::update,
        webhooks::outgoing::routes::rotate, webhooks::outgoing::routes::remove, webhooks::outgoing::routes::deliveries,
        webhooks::outgoing::routes::redeliver, webhooks::outgoing::routes::test,
        commands::routes::available, commands::routes::run, commands::routes::respond, commands::routes::create,
        commands::routes::list, commands::routes::update, commands::routes::remove,
        crate::slack_api::web_api, crate::slack_api::uploads::receive::receive,
    ),
    tags(
        (name = "auth", description = "Sign-in, sessions, sign-up, API tokens, first-run setup"),
        (name = "profile", description = "My profile and other people's"),
        (name = "workspaces", description = "Workspaces, members, invitations"),
        (name = "channels", description = "Channels, conversations, membership, read state"),
        (name = "messages", description = "Messages, threads, reactions, pins"),
        (name = "files", description = "Uploads, downloads, thumbnails, storage quota"),
        (name = "search", description = "Search everything you may read"),
        (name = "admin", description = "Instance administration"),
        (name = "integrations", description = "Incoming webhooks, bots and their scoped tokens"),
        (name = "notifications", description = "E-mail about what you missed while away"),
        (name = "realtime", description = "The WebSocket: live events, resume (docs/realtime.md)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
