//! Where a finished mail goes: one trait, two ways. The embedded default writes each
//! mail as `<data_dir>/outbox/<id>.eml` and logs it; production hands it to an SMTP
//! server through lettre (STARTTLS, implicit TLS or none; pooled connections).
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::settings::{EmailSettings, MailBackend, SmtpSecurity};

/// A mail ready to go: who it is for and its bytes (RFC 5322, headers and body).
pub struct Outgoing<'a> {
    pub id: Uuid,
    pub from: &'a str,
    pub to: &'a str,
    pub raw: &'a [u8],
}

/// Why a mail was not taken.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    /// The server refused it for good (a 5xx such as "no such user"): trying again
    /// cannot help.
    pub permanent: bool,
}

impl SendError {
    fn transient(e: impl std::fmt::Display) -> Self {
        Self { message: e.to_string(), permanent: false }
    }
}

#[async_trait]
pub trait MailTransport: Send + Sync {
    /// Hands the mail over.
    async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError>;
    /// `file` or `smtp`, for the admin API and logs.
    fn kind(&self) -> &'static str;
    /// Whether mail can be handed over now (the admin system page).
    async fn check(&self) -> Result<(), String> {
        Ok(())
    }
    /// Forgets what it keeps of mails handed over before `before` (housekeeping); how
    /// many it removed.
    async fn prune(&self, _before: std::time::SystemTime) -> u64 {
        0
    }
}

pub fn from_settings(settings: &EmailSettings, data_dir: &std::path::Path) -> anyhow::Result<Box<dyn MailTransport>> {
    settings
        .from_address
        .parse::<Address>()
        .map_err(|e| anyhow::anyhow!("email.from_address {:?} is not an address: {e}", settings.from_address))?;
    Ok(match settings.backend {
        MailBackend::File => Box::new(FileOutbox { dir: data_dir.join("outbox") }),
        MailBackend::Smtp => Box::new(Smtp::new(settings)?),
    })
}

pub struct FileOutbox {
    pub dir: PathBuf,
}

#[async_trait]
impl MailTransport for FileOutbox {
    async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(SendError::transient)?;
        // Named by the mail's id and renamed into place: a second run rewrites the same
        // file, and no reader ever sees half of one.
        let path = self.dir.join(format!("{}.eml", mail.id));
        let partial = self.dir.join(format!(".{}.eml.partial", mail.id));
        tokio::fs::write(&partial, mail.raw).await.map_err(SendError::transient)?;
        tokio::fs::rename(&partial, &path).await.map_err(SendError::transient)?;
        tracing::info!(mail_id = %mail.id, to = %mail.to, path = %path.display(), "mail written to the outbox");
        Ok(())
    }
    fn kind(&self) -> &'static str {
        "file"
    }
    async fn check(&self) -> Result<(), String> {
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| format!("the outbox folder: {e}"))?;
        let probe = self.dir.join(".write-check");
        tokio::fs::write(&probe, b"").await.map_err(|e| format!("the outbox folder is not writable: {e}"))?;
        let _ = tokio::fs::remove_file(&probe).await;
        Ok(())
    }

    /// The outbox keeps mails as long as sent rows are kept (`email.keep_sent_days`).
    async fn prune(&self, before: std::time::SystemTime) -> u64 {
        let Ok(mut entries) = tokio::fs::read_dir(&self.dir).await else { return 0 };
        let mut removed = 0;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let old = entry.metadata().await.ok().and_then(|m| m.modified().ok()).is_some_and(|t| t < before);
            if old
                && entry.file_name().to_string_lossy().ends_with(".eml")
                && tokio::fs::remove_file(entry.path()).await.is_ok()
            {
                removed += 1;
            }
        }
        removed
    }
}

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    pub fn new(settings: &EmailSettings) -> anyhow::Result<Self> {
        let smtp = &settings.smtp;
        let tls = || TlsParameters::new(smtp.host.clone()).map_err(anyhow::Error::from);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(smtp.timeout_s.max(1))))
            .pool_config(PoolConfig::new().max_size(smtp.pool_size.max(1)))
            .tls(match smtp.security {
                SmtpSecurity::Starttls => Tls::Required(tls()?),
                SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                SmtpSecurity::None => Tls::None,
            });
        if !smtp.username.is_empty() {
            let password = smtp.password.as_ref().map(|p| p.expose_secret().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(smtp.username.clone(), password));
        }
        Ok(Self { transport: builder.build() })
    }
}

#[async_trait]
impl MailTransport for Smtp {
    async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let refused = |e: &dyn std::fmt::Display| SendError { message: e.to_string(), permanent: true };
        let from: Address = mail.from.parse().map_err(|e| refused(&e))?;
        let to: Address = mail.to.parse().map_err(|e| refused(&e))?;
        let envelope = Envelope::new(Some(from), vec![to]).map_err(|e| refused(&e))?;
        self.transport
            .send_raw(&envelope, mail.raw)
            .await
            .map_err(|e| SendError { message: format!("{e}"), permanent: e.is_permanent() })?;
        tracing::info!(mail_id = %mail.id, "mail handed to the SMTP server");
        Ok(())
    }
    fn kind(&self) -> &'static str {
        "smtp"
    }
    async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the SMTP server did not answer NOOP".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
