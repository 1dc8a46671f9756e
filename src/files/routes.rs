//! /api/v1/channels/{id}/files and /api/v1/files/{id}/*.
use actix_files::NamedFile;
use actix_multipart::Multipart;
use actix_web::http::header::{self, ContentDisposition, HeaderValue};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::file;
use super::upload::{self, storage_error};
use super::view::{self, FileView};
use super::{service, sniff};
use crate::access::{self, Need};
use crate::auth::CurrentUser;
use crate::blobs::{Delivery, Presentation};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

/// Upload a file to a channel (multipart/form-data, one part named `file`). The file
/// is the uploader's alone until a message carries it (`file_ids` on a new message).
#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/files", tag = "files", params(("channel_id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "a part named `file` with a file name"),
    responses((status = 201, body = FileView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[post("/channels/{channel_id}/files")]
pub async fn upload_file(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Post).await?;
    let length =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let view = upload::receive(&state, &a, me.id(), length, form)
        .await
        .map_err(|e| crate::edge::body::fault(&req).map_or(e, |f| f.into_error("file")))?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FileListQuery {
    /// Files uploaded before this one (the last id of the previous page).
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// The files shared in a channel, newest first.
#[utoipa::path(get, path = "/api/v1/channels/{channel_id}/files", tag = "files", params(("channel_id" = Uuid, Path), FileListQuery),
    responses((status = 200, body = [FileView]), (status = 404, body = ErrorBody)))]
#[get("/channels/{channel_id}/files")]
pub async fn list(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<FileListQuery>,
) -> AppResult<HttpResponse> {
    let a = access::channel(&state.db, me.id(), path.into_inner(), Need::Read).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "must be 1 to 200"));
    }
    Ok(HttpResponse::Ok().json(service::list(&state.db.conn, a.channel.id, q.before, limit).await?))
}

/// A file's details.
#[utoipa::path(get, path = "/api/v1/files/{file_id}", tag = "files", params(("file_id" = Uuid, Path)),
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody)))]
#[get("/files/{file_id}")]
pub async fn get(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (f, _) = access::file(&state.db.conn, me.id(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view::build(&f)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// Always as an attachment, even an image that could be shown inline.
    #[serde(default)]
    pub download: bool,
}

/// The file's bytes: streamed with Range support from the local store, or a redirect
/// (302) to a signed URL valid for files.s3.presign_ttl_s seconds. Only PNG, JPEG, GIF
/// and WebP images are served inline; everything else is an attachment.
#[utoipa::path(get, path = "/api/v1/files/{file_id}/content", tag = "files", params(("file_id" = Uuid, Path), DownloadQuery),
    responses((status = 200, description = "the bytes"), (status = 206, description = "a range of the bytes"),
              (status = 302, description = "redirect to a signed URL"), (status = 404, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
#[get("/files/{file_id}/content")]
pub async fn content(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    q: web::Query<DownloadQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (f, _) = access::file(&state.db.conn, me.id(), path.into_inner()).await?;
    let inline = sniff::inline_safe(&f.content_type) && !q.download;
    let served = sniff::served_type(&f.content_type);
    deliver(&state, &req, &f.storage_key, &served, &sniff::disposition(&f.name, inline)).await
}

/// The image's thumbnail (JPEG, or PNG where the image has transparency).
#[utoipa::path(get, path = "/api/v1/files/{file_id}/thumbnail", tag = "files", params(("file_id" = Uuid, Path)),
    responses((status = 200, description = "the thumbnail"), (status = 302, description = "redirect to a signed URL"),
              (status = 404, body = ErrorBody)))]
#[get("/files/{file_id}/thumbnail")]
pub async fn thumbnail(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (f, _) = access::file(&state.db.conn, me.id(), path.into_inner()).await?;
    let (file::thumb::READY, Some(kind)) = (f.thumb_state.as_str(), f.thumb_content_type.as_deref()) else {
        return Err(AppError::NotFound("thumbnail"));
    };
    let ext = if kind == "image/png" { "png" } else { "jpg" };
    let name = format!("thumbnail-{}.{ext}", f.id.simple());
    deliver(&state, &req, &f.thumbnail_key(), kind, &sniff::disposition(&name, true)).await
}

/// A stored object as a download (local file with Range and ETag, or a signed link),
/// with the headers that keep a browser from running it.
pub(crate) async fn deliver(
    state: &AppState,
    req: &HttpRequest,
    key: &str,
    content_type: &str,
    disposition: &str,
) -> AppResult<HttpResponse> {
    let how = Presentation { content_type, disposition };
    let mut resp = match state.blobs.deliver(key, how).await.map_err(storage_error)? {
        Delivery::Redirect(url) => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .finish(),
        Delivery::LocalFile(path) => {
            let mime = content_type.parse().unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
            let parsed =
                ContentDisposition::from_raw(&HeaderValue::from_str(disposition).map_err(anyhow::Error::from)?)
                    .map_err(anyhow::Error::from)?;
            NamedFile::open_async(&path)
                .await
                .map_err(|e| storage_error(crate::blobs::BlobError::Unavailable(e.to_string())))?
                .set_content_type(mime)
                .set_content_disposition(parsed)
                .prefer_utf8(true)
                .into_response(req)
        }
    };
    let headers = resp.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    }
    Ok(resp)
}

/// Delete a file: its uploader, or a channel or workspace admin. The bytes are removed
/// shortly after by a job.
#[utoipa::path(delete, path = "/api/v1/files/{file_id}", tag = "files", params(("file_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/files/{file_id}")]
pub async fn remove(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let (f, a) = access::file(&state.db.conn, me.id(), path.into_inner()).await?;
    service::delete(&state.db, &f, Some(&a), me.id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StorageUsage {
    pub used_bytes: i64,
    /// 0 means no quota.
    pub quota_bytes: u64,
}

/// How much of its storage quota a workspace uses.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/storage", tag = "files", params(("workspace_id" = Uuid, Path)),
    responses((status = 200, body = StorageUsage), (status = 404, body = ErrorBody)))]
#[get("/workspaces/{workspace_id}/storage")]
pub async fn storage(state: web::Data<AppState>, me: CurrentUser, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let ws = access::workspace(&state.db, me.id(), path.into_inner()).await?;
    let used = service::usage(&state.db.conn, ws.workspace.id, None).await?;
    let quota_bytes =
        service::quota(&state.db.conn, state.settings.files.workspace_quota_bytes, ws.workspace.id).await?;
    Ok(HttpResponse::Ok().json(StorageUsage { used_bytes: used, quota_bytes }))
}
