//! Outgoing mail: a spool directory of `.eml` files (the default) or an SMTP server.

use std::path::PathBuf;

use lettre::message::header::ContentType;
pub use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

/// How to reach an SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone)]
pub enum Mailer {
    Spool {
        dir: PathBuf,
        from: Mailbox,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl Mailer {
    pub fn spool(dir: PathBuf, from: &str) -> Result<Mailer> {
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Config(format!(
                "mail.spool_dir: cannot create {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Mailer::Spool {
            dir,
            from: parse_from(from)?,
        })
    }

    pub fn smtp(settings: &SmtpSettings, from: &str) -> Result<Mailer> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port);
        let builder = match settings.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Starttls | SmtpTls::Tls => {
                let params = TlsParameters::new(settings.host.clone())
                    .map_err(|e| Error::Config(format!("mail.smtp_tls: {e}")))?;
                if settings.tls == SmtpTls::Tls {
                    builder.tls(Tls::Wrapper(params))
                } else {
                    builder.tls(Tls::Required(params))
                }
            }
        };
        let builder = match (&settings.username, &settings.password) {
            (Some(u), Some(p)) => builder.credentials(Credentials::new(u.clone(), p.clone())),
            _ => builder,
        };
        Ok(Mailer::Smtp {
            transport: builder.build(),
            from: parse_from(from)?,
        })
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| Error::Mail(format!("bad recipient {to}: {e}")))?;
        let from = match self {
            Mailer::Spool { from, .. } | Mailer::Smtp { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| Error::Mail(format!("cannot build message: {e}")))?;
        match self {
            Mailer::Spool { dir, .. } => {
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map_err(|e| Error::Mail(format!("spool: {e}")))?;
            }
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| Error::Mail(format!("smtp: {e}")))?;
            }
        }
        Ok(())
    }
}

fn parse_from(from: &str) -> Result<Mailbox> {
    from.parse()
        .map_err(|e| Error::Config(format!("mail.from: not a valid address ({e})")))
}
