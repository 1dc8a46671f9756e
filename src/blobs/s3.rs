//! Blobs in S3-compatible object storage (AWS S3, MinIO, Garage, Ceph …) through
//! aws-sdk-s3. Large uploads go up as multipart uploads, one part in memory at a time;
//! downloads are presigned GET URLs that carry the content type and disposition.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls;
use bytes::Bytes;
use secrecy::ExposeSecret;

use super::{BlobError, BlobResult, BlobStore, BlobWriter, Delivery, Presentation};
use crate::settings::S3Settings;

/// S3 refuses parts under 5 MiB (except the last).
const MIN_PART: usize = 5 * 1024 * 1024;

pub struct S3Store {
    client: Client,
    bucket: String,
    part_size: usize,
    presign_ttl: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Keys from the settings, else the standard AWS environment variables.
fn credentials(s: &S3Settings) -> anyhow::Result<Credentials> {
    let configured = s.access_key_id.clone().filter(|k| !k.is_empty());
    let (key, secret, token) = match configured {
        Some(key) => {
            let secret = s.secret_access_key.as_ref().map(|v| v.expose_secret().to_owned()).unwrap_or_default();
            (key, secret, None)
        }
        None => (
            env("AWS_ACCESS_KEY_ID").unwrap_or_default(),
            env("AWS_SECRET_ACCESS_KEY").unwrap_or_default(),
            env("AWS_SESSION_TOKEN"),
        ),
    };
    if key.is_empty() || secret.is_empty() {
        anyhow::bail!(
            "files.s3 needs credentials: set files.s3.access_key_id and secret_access_key, \
             or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        );
    }
    Ok(Credentials::new(key, secret, token, None, "parley"))
}

impl S3Store {
    pub fn new(s: &S3Settings, presign_ttl: Duration) -> anyhow::Result<Self> {
        if s.bucket.is_empty() {
            anyhow::bail!("files.backend is \"s3\" but files.s3.bucket is empty");
        }
        let region = if s.region.is_empty() {
            env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into())
        } else {
            s.region.clone()
        };
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(s.connect_timeout_s))
            .read_timeout(Duration::from_secs(s.read_timeout_s))
            .build();
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(credentials(s)?)
            .force_path_style(s.path_style)
            .http_client(http)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(s.max_attempts.max(1)));
        if !s.endpoint.is_empty() {
            config = config.endpoint_url(&s.endpoint);
        }
        Ok(Self {
            client: Client::from_conf(config.build()),
            bucket: s.bucket.clone(),
            part_size: usize::try_from(s.part_size_bytes).unwrap_or(MIN_PART).max(MIN_PART),
            presign_ttl,
        })
    }
}

fn sdk_error<E: std::error::Error + Send + Sync + 'static>(e: SdkError<E, HttpResponse>) -> BlobError {
    if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) {
        return BlobError::NotFound;
    }
    BlobError::Unavailable(DisplayErrorContext(&e).to_string())
}

#[async_trait]
impl BlobStore for S3Store {
    async fn start(&self, key: &str) -> BlobResult<Box<dyn BlobWriter>> {
        Ok(Box::new(S3Writer {
            client: self.client.clone(),
            bucket: Arc::from(self.bucket.as_str()),
            key: key.to_owned(),
            part_size: self.part_size,
            buf: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
            done: false,
        }))
    }

    async fn read(&self, key: &str, max_bytes: u64) -> BlobResult<Vec<u8>> {
        let resp = self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(sdk_error)?;
        let len = resp.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(u64::MAX);
        if len > max_bytes {
            return Err(BlobError::TooLarge(max_bytes));
        }
        let body = resp.body.collect().await.map_err(|e| BlobError::Unavailable(e.to_string()))?;
        Ok(body.into_bytes().to_vec())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> BlobResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> BlobResult<()> {
        match self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(sdk_error) {
            Err(BlobError::NotFound) | Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn deliver(&self, key: &str, how: Presentation<'_>) -> BlobResult<Delivery> {
        let presigning = PresigningConfig::expires_in(self.presign_ttl)
            .map_err(|e| BlobError::Unavailable(format!("presigning: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(how.content_type)
            .response_content_disposition(how.disposition)
            .presigned(presigning)
            .await
            .map_err(sdk_error)?;
        Ok(Delivery::Redirect(request.uri().to_owned()))
    }

    async fn abort_unfinished(&self, key: &str) -> BlobResult<()> {
        let listed = match self.client.list_multipart_uploads().bucket(&self.bucket).prefix(key).send().await {
            Ok(l) => l,
            // Some stores cannot list them; a bucket lifecycle rule has to clean up there.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => return Ok(()),
            Err(e) => return Err(sdk_error(e)),
        };
        for upload in listed.uploads() {
            let (Some(k), Some(id)) = (upload.key(), upload.upload_id()) else { continue };
            if k != key {
                continue;
            }
            let aborted = self.client.abort_multipart_upload().bucket(&self.bucket).key(k).upload_id(id).send().await;
            match aborted.map_err(sdk_error) {
                Ok(_) | Err(BlobError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn check(&self) -> BlobResult<()> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(sdk_error)?;
        Ok(())
    }

    fn name(&self) -> &'static str {
        "s3"
    }
}

struct S3Writer {
    client: Client,
    bucket: Arc<str>,
    key: String,
    part_size: usize,
    buf: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    /// Set once the upload is completed or aborted.
    done: bool,
}

/// A request dropped midway never reaches `finish` or `abort`: abort its multipart
/// upload from a task of its own so no unfinished parts stay in the bucket.
impl Drop for S3Writer {
    fn drop(&mut self) {
        let (false, Some(id)) = (self.done, self.upload_id.take()) else { return };
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), std::mem::take(&mut self.key));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = client.abort_multipart_upload().bucket(&*bucket).key(key).upload_id(id).send().await;
            });
        }
    }
}

impl S3Writer {
    async fn upload_id(&mut self) -> BlobResult<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&*self.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(sdk_error)?;
        let id = created
            .upload_id()
            .ok_or_else(|| BlobError::Unavailable("the store returned no upload id".into()))?
            .to_owned();
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    async fn send_part(&mut self, body: Vec<u8>) -> BlobResult<()> {
        let upload_id = self.upload_id().await?;
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let sent = self
            .client
            .upload_part()
            .bucket(&*self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(sdk_error)?;
        self.parts
            .push(CompletedPart::builder().part_number(number).set_e_tag(sent.e_tag().map(str::to_owned)).build());
        Ok(())
    }
}

#[async_trait]
impl BlobWriter for S3Writer {
    async fn write(&mut self, chunk: Bytes) -> BlobResult<()> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.part_size.min(chunk.len().max(64 * 1024)));
        }
        self.buf.extend_from_slice(&chunk);
        while self.buf.len() >= self.part_size {
            let rest = self.buf.split_off(self.part_size);
            let part = std::mem::replace(&mut self.buf, rest);
            self.send_part(part).await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> BlobResult<()> {
        let last = std::mem::take(&mut self.buf);
        if self.upload_id.is_none() {
            // Small enough for one request.
            self.done = true;
            self.client
                .put_object()
                .bucket(&*self.bucket)
                .key(&self.key)
                .body(ByteStream::from(last))
                .send()
                .await
                .map_err(sdk_error)?;
            return Ok(());
        }
        let completed = self.complete(last).await;
        if completed.is_err() {
            self.abort_upload().await;
        }
        self.done = true;
        completed
    }

    async fn abort(mut self: Box<Self>) {
        self.abort_upload().await;
        self.done = true;
    }
}

impl S3Writer {
    async fn complete(&mut self, last: Vec<u8>) -> BlobResult<()> {
        if !last.is_empty() {
            self.send_part(last).await?;
        }
        let upload_id = self.upload_id().await?;
        let parts = CompletedMultipartUpload::builder().set_parts(Some(std::mem::take(&mut self.parts))).build();
        self.client
            .complete_multipart_upload()
            .bucket(&*self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .multipart_upload(parts)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn abort_upload(&self) {
        if let Some(id) = &self.upload_id {
            let aborted =
                self.client.abort_multipart_upload().bucket(&*self.bucket).key(&self.key).upload_id(id).send().await;
            if let Err(e) = aborted {
                tracing::warn!(key = %self.key, error = %DisplayErrorContext(&e), "could not abort a multipart upload");
            }
        }
    }
}
