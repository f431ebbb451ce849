//! Webhooks: where a workspace's events are pushed, which of them, how each
//! delivery is signed (the Standard Webhooks scheme, so receivers verify
//! with a stock library), when a failed one is tried again, and which
//! addresses csapi refuses to call.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::Invalid;
use super::event::{Resource, is_type_pattern};
use super::validation::check_text;

/// What a signing secret starts with (the Standard Webhooks convention).
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of key behind a secret.
pub const SECRET_BYTES: usize = 32;
pub const MAX_URL_LEN: usize = 2000;
pub const MAX_DESCRIPTION_LEN: usize = 500;
pub const MAX_EVENT_TYPES: usize = 50;
/// How long a rotated-out secret still signs deliveries beside the new one,
/// so receivers can switch without losing any.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

/// A workspace's subscription: deliveries of matching events to `url`.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event types or prefixes ending in `*`; `*` alone takes every event.
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why csapi disabled it, when it did (an admin's disable has none).
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed; none after a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

impl Webhook {
    /// The webhook after `patch` (its time of update left as it was).
    /// Enabling it clears why it was disabled and its run of failures, so
    /// a receiver that was fixed gets the whole period again.
    pub fn patched(self, patch: WebhookPatch) -> Self {
        let enabled = patch.enabled.unwrap_or(self.enabled);
        let reenabled = enabled && !self.enabled;
        Self {
            url: patch.url.unwrap_or(self.url),
            event_types: patch.event_types.unwrap_or(self.event_types),
            description: patch.description.unwrap_or(self.description),
            enabled,
            disabled_reason: if enabled { None } else { self.disabled_reason },
            failing_since: if reenabled { None } else { self.failing_since },
            ..self
        }
    }

    /// Whether an event of type `kind` goes to this webhook.
    pub fn wants(&self, kind: &str) -> bool {
        self.event_types.iter().any(|p| matches_type(p, kind))
    }

    /// Whether a run of failures since `failing_since` has lasted `limit`:
    /// time to stop calling a receiver that is gone.
    pub fn failed_too_long(&self, now: DateTime<Utc>, limit: Duration) -> bool {
        let limit = chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
        self.failing_since.is_some_and(|since| now - since >= limit)
    }
}

/// Whether event type `kind` matches `pattern` (exact, or a prefix ending in `*`).
pub fn matches_type(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

/// Which addresses a webhook may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// https to public addresses only: the default.
    #[default]
    Public,
    /// Also plain http and private, loopback and link-local addresses
    /// (`CSAPI_WEBHOOK_ALLOW_PRIVATE`): a receiver on the same host or network.
    Private,
}

impl Reach {
    /// Why csapi refuses to call `ip`, if it does.
    pub fn refuses(self, ip: IpAddr) -> Option<&'static str> {
        match self {
            Reach::Private => None,
            Reach::Public => not_public(ip),
        }
    }
}

/// Why `ip` is not a public unicast address: loopback, private, link-local
/// (cloud metadata services live at 169.254.169.254 and fd00:ec2::254),
/// shared, unspecified, multicast, broadcast or documentation space.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_not_public(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_not_public(v4),
            None => v6_not_public(v6),
        },
    }
}

fn v4_not_public(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local or metadata address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("a multicast, broadcast or reserved address")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("a documentation or benchmarking address")
    } else {
        None
    }
}

fn v6_not_public(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private (unique local) or metadata address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("a documentation address")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        Some("a NAT64 address")
    } else {
        None
    }
}

/// Checks a webhook's target: an absolute https URL (http only when
/// private reach is allowed) with a host, no credentials and no fragment;
/// an address literal is checked here, a host name at every delivery.
pub fn check_url(e: &mut Invalid, url: &str, reach: Reach) {
    if url.len() > MAX_URL_LEN {
        e.push("url", format!("must be at most {MAX_URL_LEN} characters"));
        return;
    }
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(err) => {
            e.push("url", format!("is not an absolute URL: {err}"));
            return;
        }
    };
    match (parsed.scheme(), reach) {
        ("https", _) | ("http", Reach::Private) => {}
        _ => e.push("url", "must use https"),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        e.push("url", "must not carry credentials");
    }
    if parsed.fragment().is_some() {
        e.push("url", "must not have a fragment");
    }
    let literal = match parsed.host() {
        None => {
            e.push("url", "must name a host");
            None
        }
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        }
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(why) = literal.and_then(|ip| reach.refuses(ip)) {
        e.push(
            "url",
            format!("points to {why}; webhooks call public addresses only"),
        );
    }
}

/// Checks a list of event-type patterns: at least one, each naming a known
/// resource (`account.*`, `success_plan.health_changed`) or `*`.
pub fn check_event_types(e: &mut Invalid, patterns: &[String]) {
    if patterns.is_empty() {
        e.push("event_types", "must name at least one event type, or *");
    }
    if patterns.len() > MAX_EVENT_TYPES {
        e.push(
            "event_types",
            format!("must have at most {MAX_EVENT_TYPES} entries"),
        );
    }
    for (i, p) in patterns.iter().enumerate() {
        let resource = p.split('.').next().unwrap_or_default();
        let known = p == "*" || Resource::ALL.iter().any(|r| r.as_str() == resource);
        if !is_type_pattern(p) || !known || !p.contains('.') && p != "*" {
            e.push(
                format!("event_types[{i}]"),
                format!("{p:?} is not an event type (account.created), a prefix of one ending in * (account.*), or *"),
            );
        }
    }
}

/// Checks a webhook's fields as a create or update has them.
pub fn check_webhook(
    url: Option<&str>,
    event_types: Option<&[String]>,
    description: Option<&str>,
    reach: Reach,
) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    if let Some(url) = url {
        check_url(&mut e, url, reach);
    }
    if let Some(types) = event_types {
        check_event_types(&mut e, types);
    }
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        check_text(&mut e, "description", d, MAX_DESCRIPTION_LEN);
    }
    e.into_result()
}

/// A signing key, from its `whsec_…` secret.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// The key a secret names; `None` for text that is not a secret.
    pub fn from_secret(secret: &str) -> Option<Self> {
        let encoded = secret.strip_prefix(SECRET_PREFIX)?;
        BASE64.decode(encoded).ok().map(Self)
    }

    /// The secret a receiver is given for `key` bytes.
    pub fn secret_of(key: &[u8]) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(key))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`: one entry of the
    /// `webhook-signature` header.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per key, space-separated
/// (the new and the rotated-out key sign during the overlap).
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// When a failed delivery is tried again: a delay per retry, after which
/// it is given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl Default for RetrySchedule {
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about
    /// 28 hours, as Standard Webhooks senders do.
    fn default() -> Self {
        let m = 60;
        Self(
            [5, 5 * m, 30 * m, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl RetrySchedule {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones;
    /// none when the schedule is spent. `jitter` in [-1, 1] moves the wait
    /// by up to a fifth either way, so receivers that failed together are
    /// not called together again.
    pub fn next_delay(&self, attempts: u32, jitter: f64) -> Option<Duration> {
        let base = self
            .0
            .get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
        Some(base.mul_f64(1.0 + jitter.clamp(-1.0, 1.0) / 5.0))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [Self::Pending, Self::Delivered, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    pub latency: Duration,
    /// Why it failed: a non-2xx answer, a timeout, a refused address.
    pub error: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|c| (200..300).contains(&c))
    }

    /// The delivery's status after this attempt, its `attempts`-th, and
    /// when to try again if at all.
    pub fn outcome(
        &self,
        attempts: u32,
        schedule: &RetrySchedule,
        jitter: f64,
    ) -> (DeliveryStatus, Option<Duration>) {
        if self.succeeded() {
            return (DeliveryStatus::Delivered, None);
        }
        match schedule.next_delay(attempts, jitter) {
            Some(d) => (DeliveryStatus::Pending, Some(d)),
            None => (DeliveryStatus::Failed, None),
        }
    }
}

/// One message to one webhook: an event, or a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The message id receivers deduplicate by (`webhook-id`): the event's id.
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<u16>,
    pub last_latency_ms: Option<u32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    /// A delivery of `payload` (the event's JSON), due at once.
    pub fn new(webhook_id: Uuid, event_id: Uuid, event_type: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            webhook_id,
            event_id,
            event_type: event_type.to_owned(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            last_attempt_at: None,
            last_status_code: None,
            last_latency_ms: None,
            last_error: None,
            created_at: now,
        }
    }
}

/// A delivery a worker has claimed: what to send, where, signed with which keys.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub payload: String,
    /// Counting this one.
    pub attempts: u32,
    pub url: String,
    /// The current secret, then a rotated-out one still in its overlap.
    pub secrets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn invalid(url: &str, reach: Reach) -> Vec<String> {
        let mut e = Invalid::default();
        check_url(&mut e, url, reach);
        e.0.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn signs_as_the_standard_webhooks_reference_does() {
        // The reference libraries' own test vector.
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(SigningKey::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(SigningKey::from_secret("whsec_not base64!").is_none());
    }

    #[test]
    fn two_keys_sign_side_by_side() {
        let (a, b) = (SigningKey(vec![1; 32]), SigningKey(vec![2; 32]));
        let header = signature_header(&[a.clone(), b.clone()], "m", 1, b"{}");
        assert_eq!(
            header,
            format!("{} {}", a.sign("m", 1, b"{}"), b.sign("m", 1, b"{}"))
        );
        assert_ne!(a.sign("m", 1, b"{}"), b.sign("m", 1, b"{}"));
        assert_eq!(
            SigningKey::from_secret(&SigningKey::secret_of(&[7; 32]))
                .unwrap()
                .0,
            vec![7; 32]
        );
    }

    #[test]
    fn public_reach_refuses_every_internal_address() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(Reach::Public.refuses(ip).is_some(), "{ip}");
            assert_eq!(Reach::Private.refuses(ip), None, "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert_eq!(Reach::Public.refuses(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn urls_must_be_https_to_a_public_host() {
        assert!(invalid("https://hooks.example.com/csapi?x=1", Reach::Public).is_empty());
        assert_eq!(
            invalid("http://hooks.example.com/", Reach::Public),
            ["must use https"]
        );
        assert!(invalid("http://127.0.0.1:9000/", Reach::Private).is_empty());
        assert_eq!(
            invalid("https://127.0.0.1/", Reach::Public),
            ["points to a loopback address; webhooks call public addresses only"]
        );
        assert_eq!(invalid("https://localhost/", Reach::Public).len(), 1);
        assert_eq!(invalid("https://[fd00:ec2::254]/", Reach::Public).len(), 1);
        assert_eq!(
            invalid("https://u:p@example.com/#x", Reach::Public),
            ["must not carry credentials", "must not have a fragment"]
        );
        assert_eq!(
            invalid("ftp://example.com/", Reach::Private),
            ["must use https"]
        );
        assert_eq!(invalid("example.com", Reach::Public).len(), 1);
    }

    #[test]
    fn event_types_name_known_resources() {
        let check = |ts: &[&str]| {
            let mut e = Invalid::default();
            check_event_types(
                &mut e,
                &ts.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            );
            e.fields()
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert!(
            check(&[
                "*",
                "account.*",
                "success_plan.health_changed",
                "webhook.disabled"
            ])
            .is_empty()
        );
        assert_eq!(check(&[]), ["event_types"]);
        assert_eq!(
            check(&["acount.*", "account", "Account.created"]),
            ["event_types[0]", "event_types[1]", "event_types[2]"]
        );
    }

    fn hook(enabled: bool) -> Webhook {
        let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        Webhook {
            id: Uuid::nil(),
            url: "https://a.example/".into(),
            event_types: vec!["*".into()],
            description: String::new(),
            enabled,
            disabled_reason: (!enabled).then(|| "every delivery has failed".into()),
            failing_since: Some(at),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn enabling_again_starts_a_fresh_period() {
        let on = hook(false).patched(WebhookPatch {
            enabled: Some(true),
            ..Default::default()
        });
        assert!(on.enabled);
        assert_eq!((on.disabled_reason, on.failing_since), (None, None));
        // A patch that leaves `enabled` alone keeps the run of failures.
        let renamed = hook(true).patched(WebhookPatch {
            description: Some("CRM".into()),
            ..Default::default()
        });
        assert_eq!(renamed.failing_since, hook(true).failing_since);
        assert_eq!(renamed.description, "CRM");
        assert_eq!(hook(true).patched(WebhookPatch::default()), hook(true));
    }

    #[test]
    fn patterns_match_exactly_or_by_prefix() {
        assert!(matches_type("*", "account.created"));
        assert!(matches_type("account.*", "account.deleted"));
        assert!(!matches_type("account.*", "accounts.x"));
        assert!(matches_type("account.created", "account.created"));
        assert!(!matches_type("account.created", "account.created2"));
    }

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        let s = RetrySchedule::default();
        assert_eq!(s.next_delay(1, 0.0), Some(Duration::from_secs(5)));
        assert_eq!(s.next_delay(2, 0.0), Some(Duration::from_secs(300)));
        assert_eq!(s.next_delay(7, 0.0), Some(Duration::from_secs(36_000)));
        assert_eq!(s.next_delay(8, 0.0), None);
        assert_eq!(s.next_delay(0, 0.0), None);
        let total: Duration = s.0.iter().sum();
        assert_eq!(total.as_secs(), 5 + 300 + 1800 + 7200 + 18_000 + 72_000);
        assert_eq!(s.next_delay(1, 1.0), Some(Duration::from_secs(6)));
        assert_eq!(s.next_delay(1, -1.0), Some(Duration::from_secs(4)));
    }

    #[test]
    fn a_2xx_delivers_and_anything_else_retries() {
        let s = RetrySchedule(vec![Duration::from_secs(1)]);
        let answered = |code| Attempt {
            status_code: Some(code),
            latency: Duration::ZERO,
            error: None,
        };
        assert_eq!(
            answered(204).outcome(1, &s, 0.0),
            (DeliveryStatus::Delivered, None)
        );
        assert_eq!(
            answered(500).outcome(1, &s, 0.0),
            (DeliveryStatus::Pending, Some(Duration::from_secs(1)))
        );
        assert_eq!(
            answered(500).outcome(2, &s, 0.0),
            (DeliveryStatus::Failed, None)
        );
        let timed_out = Attempt {
            status_code: None,
            latency: Duration::from_secs(10),
            error: Some("timed out".into()),
        };
        assert_eq!(timed_out.outcome(2, &s, 0.0).0, DeliveryStatus::Failed);
    }

    proptest! {
        /// Jitter keeps a retry within a fifth of its scheduled wait.
        #[test]
        fn jitter_stays_within_a_fifth(attempts in 1u32..8, jitter in -1.0f64..=1.0) {
            let s = RetrySchedule::default();
            let base = s.0[attempts as usize - 1].as_secs_f64();
            let d = s.next_delay(attempts, jitter).unwrap().as_secs_f64();
            prop_assert!(d >= base * 0.8 - 1e-6 && d <= base * 1.2 + 1e-6);
        }

        /// A webhook that has failed longer than the limit is due to be
        /// disabled, and one failing for less is not.
        #[test]
        fn disabling_waits_for_the_whole_period(failing_secs in 0i64..1_000_000, limit in 1u64..1_000_000) {
            let now = Utc::now();
            let hook = Webhook {
                id: Uuid::nil(), url: String::new(), event_types: vec![], description: String::new(),
                enabled: true, disabled_reason: None,
                failing_since: Some(now - chrono::Duration::seconds(failing_secs)),
                created_at: now, updated_at: now,
            };
            prop_assert_eq!(hook.failed_too_long(now, Duration::from_secs(limit)), failing_secs as u64 >= limit);
        }
    }
}
