//! Helpers for the file tests: the store under test (local, or the real S3-compatible
//! server named by PARLEY_TEST_S3_*), a TCP proxy that can take that server away,
//! and images made on the spot.
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use parley::jobs::JobRegistry;
use parley::settings::{FileBackend, Settings};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::helpers::{Client, Resp, TestApp};

#[derive(Clone)]
pub struct S3Env {
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    pub secret: String,
}

pub fn s3_env() -> Option<S3Env> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    Some(S3Env {
        endpoint: var("PARLEY_TEST_S3_ENDPOINT")?,
        bucket: var("PARLEY_TEST_S3_BUCKET")?,
        key: var("PARLEY_TEST_S3_ACCESS_KEY")?,
        secret: var("PARLEY_TEST_S3_SECRET_KEY")?,
    })
}

pub fn use_s3(s: &mut Settings, env: &S3Env, endpoint: &str) {
    s.files.backend = FileBackend::S3;
    s.files.s3.endpoint = endpoint.to_owned();
    s.files.s3.bucket = env.bucket.clone();
    s.files.s3.region = "us-east-1".into();
    s.files.s3.path_style = true;
    s.files.s3.access_key_id = Some(env.key.clone());
    s.files.s3.secret_access_key = Some(env.secret.clone().into());
    s.files.s3.part_size_bytes = 5 * 1024 * 1024;
    s.files.s3.max_attempts = 2;
    s.files.s3.connect_timeout_s = 1;
}

/// A server on the store under test (S3 when configured, else the local directory).
pub async fn spawn(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let env = s3_env();
    TestApp::spawn_with(
        |s| {
            if let Some(env) = &env {
                use_s3(s, env, &env.endpoint);
            }
            tweak(s);
        },
        JobRegistry::default(),
    )
    .await
}

/// What the store under test holds, seen from outside Parley.
pub enum Inspect {
    Local(PathBuf),
    S3(aws_sdk_s3::Client, String),
}

impl Inspect {
    pub fn of(app: &TestApp) -> Self {
        match s3_env() {
            Some(env) => {
                let config = aws_sdk_s3::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .endpoint_url(&env.endpoint)
                    .force_path_style(true)
                    .credentials_provider(Credentials::new(env.key, env.secret, None, None, "test"))
                    .http_client(aws_smithy_http_client::Builder::new().build_http())
                    .build();
                Inspect::S3(aws_sdk_s3::Client::from_conf(config), env.bucket)
            }
            None => Inspect::Local(app.data_dir().join("files")),
        }
    }

    pub fn is_s3(&self) -> bool {
        matches!(self, Inspect::S3(..))
    }

    /// Every object (and, on S3, every unfinished multipart upload) of a workspace.
    pub async fn leftovers(&self, ws: Uuid) -> Vec<String> {
        let prefix = format!("ws/{}/", ws.simple());
        match self {
            Inspect::Local(dir) => {
                let mut out = Vec::new();
                for sub in [dir.join(&prefix), dir.join(".partial")] {
                    if let Ok(entries) = std::fs::read_dir(&sub) {
                        out.extend(entries.flatten().map(|e| e.path().display().to_string()));
                    }
                }
                out
            }
            Inspect::S3(client, bucket) => {
                let listed =
                    client.list_objects_v2().bucket(bucket).prefix(&prefix).send().await.expect("list objects");
                let mut out: Vec<String> =
                    listed.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
                // Servers that cannot list unfinished uploads (s3s-fs answers 501) are
                // checked through their objects alone.
                match client.list_multipart_uploads().bucket(bucket).prefix(&prefix).send().await {
                    Ok(uploads) => out
                        .extend(uploads.uploads().iter().filter_map(|u| u.key().map(|k| format!("(unfinished) {k}")))),
                    Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => {}
                    Err(e) => panic!("list uploads: {e:?}"),
                }
                out
            }
        }
    }
}

pub fn form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

/// Uploads with a known length (reqwest sets Content-Length).
pub async fn upload(c: &Client, channel: Uuid, name: &str, bytes: Vec<u8>) -> Resp {
    let req = c.request(reqwest::Method::POST, &format!("/api/v1/channels/{channel}/files"));
    Client::finish(req.multipart(form(name, bytes))).await
}

/// Uploads as a chunked stream of unknown length, so only the server's counting can stop it.
pub async fn upload_streamed(c: &Client, channel: Uuid, name: &str, total: usize) -> Resp {
    let chunks = (0..total.div_ceil(64 * 1024)).map(move |i| {
        let n = (total - i * 64 * 1024).min(64 * 1024);
        Ok::<_, std::io::Error>(vec![(i % 251) as u8; n])
    });
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = Part::stream(body).file_name(name.to_owned());
    let req = c.request(reqwest::Method::POST, &format!("/api/v1/channels/{channel}/files"));
    Client::finish(req.multipart(Form::new().part("file", part))).await
}

/// Polls a file until its thumbnail job has finished one way or the other.
pub async fn thumbnail_settled(c: &Client, file: Uuid) -> Value {
    for _ in 0..200 {
        let f = c.get(&format!("/api/v1/files/{file}")).await.expect(200).body;
        if f["thumbnail_state"] != "queued" {
            return f;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the thumbnail of {file} never settled");
}

/// Bytes that differ along the file, so a shifted or truncated copy is noticed.
pub fn patterned(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 4093) % 256) as u8).collect()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("encode png");
    out
}

/// A JPEG whose pixels are `width`×`height` but whose EXIF says "rotate 90° clockwise".
pub fn jpeg_rotated(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).expect("encode jpeg");
    // APP1 "Exif\0\0" + a big-endian TIFF header with one IFD entry: Orientation (0x0112) = 6.
    let tiff: [u8; 26] = [
        b'M', b'M', 0, 42, 0, 0, 0, 8, // header, IFD at offset 8
        0, 1, // one entry
        0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // tag, SHORT, count 1, value 6
        0, 0, 0, 0, // no next IFD
    ];
    let mut app1 = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A tiny valid-looking PNG whose header claims `width`×`height` pixels: a
/// decompression bomb as far as any decoder that trusts the header is concerned.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// A TCP forwarder in front of the storage server: `stop` takes the server away
/// (refusing new connections and cutting open ones), `start` brings it back.
pub struct Proxy {
    pub addr: SocketAddr,
    target: String,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn new(target: &str) -> Self {
        let target = target.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let mut p = Proxy { addr, target, task: None };
        p.task = Some(tokio::spawn(forward(listener, p.target.clone())));
        p
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    pub async fn start(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind proxy");
        self.task = Some(tokio::spawn(forward(listener, self.target.clone())));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn forward(listener: TcpListener, target: String) {
    let mut conns = tokio::task::JoinSet::new();
    while let Ok((mut inbound, _)) = listener.accept().await {
        let target = target.clone();
        conns.spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}
