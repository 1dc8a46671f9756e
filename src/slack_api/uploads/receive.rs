//! `POST /slack/upload/{token}`: the bytes of a staged upload, as the raw body (what
//! the Slack SDKs send) or as the first file part of a multipart form (`curl -F`).
//! The URL's secret is the only credential, as with Slack's upload URLs.
use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::{post, web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::TryStreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::model::staged;
use super::STAGED_LIFETIME_MS;
use crate::auth::secret_token;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::files::sniff;
use crate::files::upload::{multipart_error, store_stream, too_large};
use crate::state::AppState;

fn payload_error(e: PayloadError) -> AppError {
    AppError::bad_request("malformed_body", format!("could not read the body: {e}"))
}

async fn staged_by_token(state: &AppState, token: &str) -> AppResult<staged::Model> {
    let hash = secret_token::hash(token);
    let row = staged::Entity::find()
        .filter(staged::Column::TokenHash.eq(hash.clone()))
        .one(&state.db.conn)
        .await?
        .filter(|s| secret_token::hashes_match(&s.token_hash, &hash))
        .filter(|s| s.created_at + STAGED_LIFETIME_MS > now_ms())
        .ok_or(AppError::NotFound("upload"))?;
    if row.size.is_some() {
        return Err(AppError::conflict("already_uploaded", "this upload URL has been used; ask for a new one"));
    }
    Ok(row)
}

/// Receive the bytes of a file staged with files.getUploadURLExternal.
#[utoipa::path(post, path = "/slack/upload/{token}", tag = "integrations",
    params(("token" = String, Path, description = "from the upload_url files.getUploadURLExternal answered")),
    request_body(content = Vec<u8>, description = "the file: the raw body, or a multipart form's first file part"),
    responses((status = 200, description = "OK - <bytes stored>"), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
#[post("/slack/upload/{token}")]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    mut body: web::Payload,
) -> AppResult<HttpResponse> {
    let row = staged_by_token(&state, &path).await?;
    let limit = u64::try_from(row.declared_size).unwrap_or(0).min(state.settings.files.max_upload_bytes);
    let multipart = matches!(req.mime_type(), Ok(Some(m)) if m.type_() == actix_web::mime::MULTIPART);
    let streamed = if multipart {
        let mut form = Multipart::new(req.headers(), body);
        let mut part = loop {
            match form.try_next().await.map_err(multipart_error)? {
                Some(f) if f.content_disposition().and_then(|d| d.get_filename()).is_some() => break f,
                Some(_) => continue,
                None => return Err(AppError::bad_request("missing_file", "the form has no file part")),
            }
        };
        store_stream(&state, &row.storage_key, &mut part, limit, multipart_error).await
    } else {
        store_stream(&state, &row.storage_key, &mut body, limit, payload_error).await
    };
    let streamed = match streamed {
        Ok(s) => s,
        Err(AppError::TooLarge { .. }) => return Err(too_large(limit)),
        Err(e) => return Err(e),
    };
    let mut am: staged::ActiveModel = row.into();
    am.size = Set(Some(i64::try_from(streamed.size).unwrap_or(i64::MAX)));
    am.sha256 = Set(Some(streamed.sha256));
    am.content_type = Set(Some(sniff::content_type(&streamed.head)));
    let tx = state.db.write().await?;
    am.update(&*tx).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!("OK - {}", streamed.size)))
}
