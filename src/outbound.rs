//! Calls to the outside: webhook deliveries over HTTPS (reqwest with
//! rustls), to public addresses only unless private reach is allowed. Every
//! address a host name resolves to is checked when the connection is made,
//! so a name that resolves to an internal address (at once, or only later:
//! DNS rebinding) is refused; redirects are not followed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::Invalid;
use crate::domain::webhook::{Attempt, Reach, SigningKey, check_url, signature_header};

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a receiver's answer is read (for the delivery's error text).
const BODY_CAP: usize = 1024;
/// How much of that an error shows.
const ERROR_BODY: usize = 200;

/// One message to send.
pub struct Message<'a> {
    pub url: &'a str,
    /// `webhook-id`: the same for every attempt of one delivery.
    pub id: &'a str,
    pub body: &'a str,
    pub secrets: &'a [String],
}

/// Sends webhook deliveries; cheap to clone.
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    reach: Reach,
}

impl WebhookClient {
    pub fn new(reach: Reach) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("csapi-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Checked(reach)))
            .https_only(reach == Reach::Public)
            .build()
            .map_err(|e| format!("building the webhook client: {e}"))?;
        Ok(Self { http, reach })
    }

    /// One attempt: a signed POST of `m.body`, timed.
    pub async fn send(&self, m: &Message<'_>) -> Attempt {
        let started = Instant::now();
        let result = self.post(m).await;
        let latency = started.elapsed();
        match result {
            Ok((status, body)) => Attempt {
                status_code: Some(status),
                latency,
                error: (!(200..300).contains(&status)).then(|| answered(status, &body)),
            },
            Err(error) => Attempt {
                status_code: None,
                latency,
                error: Some(error),
            },
        }
    }

    async fn post(&self, m: &Message<'_>) -> Result<(u16, Vec<u8>), String> {
        let mut refused = Invalid::default();
        check_url(&mut refused, m.url, self.reach);
        if let Some(e) = refused.0.first() {
            return Err(format!("url {}", e.message));
        }
        let keys: Vec<SigningKey> = m
            .secrets
            .iter()
            .filter_map(|s| SigningKey::from_secret(s))
            .collect();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature_header(&keys, m.id, timestamp, m.body.as_bytes());
        let mut res = self
            .http
            .post(m.url)
            .header("content-type", "application/json")
            .header("webhook-id", m.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(m.body.to_owned())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = res.status().as_u16();
        let mut body = Vec::new();
        while body.len() < BODY_CAP {
            match res.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(BODY_CAP);
        Ok((status, body))
    }
}

/// The error text of a non-2xx answer: its status and the start of its body.
fn answered(status: u16, body: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(ERROR_BODY)
        .collect();
    if text.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {text}")
    }
}

/// A reqwest error as one line, with its causes (a refused address says why).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Resolves host names and refuses those with an address `Reach` forbids.
struct Checked(Reach);

impl Resolve for Checked {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some((ip, why)) = addrs
                .iter()
                .find_map(|a| reach.refuses(a.ip()).map(|why| (a.ip(), why)))
            {
                return Err(format!(
                    "{host} resolves to {ip}, {why}; webhooks call public addresses only"
                )
                .into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn names_that_resolve_to_internal_addresses_are_refused() {
        let name = Name::from_str("localhost").unwrap();
        let refused = match Checked(Reach::Public).resolve(name).await {
            Ok(_) => panic!("localhost resolved for public reach"),
            Err(e) => e.to_string(),
        };
        assert!(refused.contains("loopback address"), "{refused}");
        let allowed = Checked(Reach::Private)
            .resolve(Name::from_str("localhost").unwrap())
            .await;
        assert!(allowed.is_ok_and(|mut a| a.next().is_some_and(|s| s.ip().is_loopback())));
    }

    #[tokio::test]
    async fn internal_targets_fail_without_a_request() {
        let client = WebhookClient::new(Reach::Public).unwrap();
        let attempt = client
            .send(&Message {
                url: "https://169.254.169.254/latest/meta-data",
                id: "m",
                body: "{}",
                secrets: &[],
            })
            .await;
        assert_eq!(attempt.status_code, None);
        assert_eq!(
            attempt.error.as_deref(),
            Some(
                "url points to a link-local or metadata address; webhooks call public addresses only"
            )
        );
    }
}
