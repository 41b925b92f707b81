//! The plan's verification: approving a leave request through four upstream
//! services.
//!
//! 1. auth: the approver must exist and be a manager (hard: the approval fails),
//! 2. leaves wallet: debit the days, with an idempotency key (hard),
//! 3. notification: tell the approver, with `action_url: /approvals/{id}` made
//!    absolute against `FRONTEND_URL` (soft: logged, the approval stands),
//! 4. audit: record the approval (soft).
//!
//! `cargo run -p service-clients --example approvals` starts embedded local
//! upstreams when `AUTH_SERVICE_URL` is not set; with the service URL
//! variables (and their `*_SERVICE_TOKEN` / `*_SERVICE_API_KEY`) set, it
//! talks to the real ones.
#![allow(clippy::print_stdout)] // An example prints what it does.

use service_clients::runtime::types::Nullable;
use std::fmt;
use std::sync::Arc;

use service_clients::runtime::types::{DateTime, Uuid};
use service_clients::runtime::{Credentials, ErrorCategory};
use service_clients::{
    Clients, MicroserviceError, RuntimeConfig, audit, auth, leaves_wallet, notification,
};

/// A leave request waiting for approval.
#[derive(Clone, Debug)]
pub(crate) struct LeaveRequest {
    /// The request's id, used in links and idempotency keys.
    pub(crate) id: u64,
    /// The employee whose wallet is debited.
    pub(crate) employee_id: String,
    /// The approving manager (their auth user id and notification recipient).
    pub(crate) approver: Uuid,
    /// Days of leave.
    pub(crate) days: f64,
}

/// A step of an approval, reported as it happens.
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// The approver was found and may approve.
    ApproverChecked(String),
    /// The wallet was debited.
    Debited {
        /// Balance after the debit.
        balance_after: f64,
        /// The idempotency key sent.
        idempotency_key: String,
    },
    /// The notification was accepted, carrying this absolute link.
    Notified {
        /// The absolute link.
        link: String,
    },
    /// The audit event was written.
    Audited,
    /// A soft failure: logged, the approval stands.
    SoftFailure(&'a SoftFailure),
}

impl fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApproverChecked(name) => write!(f, "auth: approver {name} may approve"),
            Self::Debited {
                balance_after,
                idempotency_key,
            } => write!(
                f,
                "leaves wallet: debited (idempotency key {idempotency_key}), {balance_after} days left"
            ),
            Self::Notified { link } => write!(f, "notification: sent with link {link}"),
            Self::Audited => f.write_str("audit: event written"),
            Self::SoftFailure(failure) => write!(f, "warning: {failure}; the approval stands"),
        }
    }
}

/// A failure that does not undo the approval.
#[derive(Debug)]
pub(crate) enum SoftFailure {
    /// The notification could not be sent.
    Notification(MicroserviceError),
    /// The audit event could not be written.
    Audit(MicroserviceError),
}

impl fmt::Display for SoftFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Notification(error) => write!(f, "notification failed: {error}"),
            Self::Audit(error) => write!(f, "audit failed: {error}"),
        }
    }
}

/// Why an approval failed.
#[derive(Debug)]
pub(crate) enum ApprovalError {
    /// The auth service failed or refused the approver.
    Auth(MicroserviceError),
    /// The approver exists but is not a manager.
    NotAManager(String),
    /// The leaves wallet refused or failed the debit.
    Wallet(MicroserviceError),
}

impl ApprovalError {
    /// The upstream's error category, when an upstream failed.
    pub(crate) fn category(&self) -> Option<ErrorCategory> {
        match self {
            Self::Auth(error) | Self::Wallet(error) => Some(error.category()),
            Self::NotAManager(_) => None,
        }
    }
}

impl fmt::Display for ApprovalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auth(_) => f.write_str("the approver could not be verified"),
            Self::NotAManager(id) => write!(f, "user {id} is not a manager"),
            Self::Wallet(_) => f.write_str("the leave days could not be debited"),
        }
    }
}

impl std::error::Error for ApprovalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Auth(error) | Self::Wallet(error) => Some(error),
            Self::NotAManager(_) => None,
        }
    }
}

/// What an approval did.
#[derive(Debug)]
pub(crate) struct Approval {
    /// The wallet transaction.
    pub(crate) transaction: leaves_wallet::LeaveTransaction,
    /// The absolute link the notification carried, if it was sent.
    pub(crate) link: Option<String>,
    /// Soft failures, already logged.
    pub(crate) soft_failures: Vec<SoftFailure>,
}

/// Approves leave requests through the generated clients.
pub(crate) struct ApprovalsService {
    clients: Clients,
    report: Arc<dyn Fn(&Step<'_>) + Send + Sync>,
}

impl ApprovalsService {
    /// A service reporting each step to `report`.
    pub(crate) fn new(
        clients: Clients,
        report: impl Fn(&Step<'_>) + Send + Sync + 'static,
    ) -> Self {
        Self {
            clients,
            report: Arc::new(report),
        }
    }

    /// Approves `request`: auth and wallet failures are hard, notification
    /// and audit failures soft.
    pub(crate) async fn approve(&self, request: &LeaveRequest) -> Result<Approval, ApprovalError> {
        let approver = self
            .clients
            .auth
            .get_user(&request.approver.to_string())
            .await
            .map_err(ApprovalError::Auth)?;
        if !approver.roles.contains(&auth::Role::Manager) {
            return Err(ApprovalError::NotAManager(approver.id));
        }
        self.step(Step::ApproverChecked(approver.display_name.clone()));

        let idempotency_key = format!("leave-approval-{}", request.id);
        let debit = leaves_wallet::LeaveTransactionRequest {
            days: request.days,
            reason: format!("Leave request {} approved", request.id),
            request_id: Nullable::Value(request.id.to_string()),
        };
        let transaction = self
            .clients
            .leaves_wallet
            .debit_leave(&request.employee_id, &idempotency_key, &debit)
            .await
            .map_err(ApprovalError::Wallet)?;
        self.step(Step::Debited {
            balance_after: transaction.balance_after,
            idempotency_key,
        });

        let mut soft_failures = Vec::new();
        let link = match self.notify(request).await {
            Ok(link) => {
                self.step(Step::Notified { link: link.clone() });
                Some(link)
            }
            Err(error) => {
                soft_failures.push(self.soft(SoftFailure::Notification(error)));
                None
            }
        };
        match self.audit(request, &approver.id).await {
            Ok(()) => self.step(Step::Audited),
            Err(error) => soft_failures.push(self.soft(SoftFailure::Audit(error))),
        }
        Ok(Approval {
            transaction,
            link,
            soft_failures,
        })
    }

    async fn notify(&self, request: &LeaveRequest) -> Result<String, MicroserviceError> {
        let action_url = format!("/approvals/{}", request.id);
        let message = notification::NotificationRequest {
            action_url: Nullable::Value(action_url.clone()),
            ..notification::NotificationRequest::new(
                request.approver,
                notification::Channel::Email,
                format!("Leave request {} approved", request.id),
                format!(
                    "{} days approved for {}.",
                    request.days, request.employee_id
                ),
            )
        };
        self.clients
            .notification
            .send_notification(&message)
            .await?;
        // The client resolved the link the same way before sending it.
        Ok(self
            .clients
            .session()
            .config()
            .links()
            .resolve(&action_url)
            .unwrap_or(action_url))
    }

    async fn audit(&self, request: &LeaveRequest, approver: &str) -> Result<(), MicroserviceError> {
        let event = audit::AuditEventInput {
            action: "leave.approved".to_owned(),
            occurred_at: now(),
            actor: audit::Actor::User(audit::UserActor {
                user_id: approver.to_owned(),
                ip_address: None,
            }),
            target: Nullable::Value(audit::AuditTarget {
                kind: "leave_request".to_owned(),
                id: request.id.to_string(),
            }),
            details: Some([("days".to_owned(), request.days.into())].into()),
        };
        self.clients.audit.write_audit_event(&event).await?;
        Ok(())
    }

    fn step(&self, step: Step<'_>) {
        (self.report)(&step);
    }

    fn soft(&self, failure: SoftFailure) -> SoftFailure {
        self.step(Step::SoftFailure(&failure));
        failure
    }
}

fn now() -> DateTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(0), 0).unwrap_or_default()
}

#[path = "support/embedded_upstreams.rs"]
mod embedded_upstreams;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (clients, _upstreams) = if std::env::var_os("AUTH_SERVICE_URL").is_some() {
        println!("using the upstream services from the environment");
        (Clients::from_env()?, None)
    } else {
        let upstreams = embedded_upstreams::start().await?;
        println!(
            "no AUTH_SERVICE_URL: using embedded local upstreams on {}",
            upstreams.url()
        );
        let mut config = RuntimeConfig::builder();
        if let Ok(frontend) = std::env::var("FRONTEND_URL") {
            config = config.frontend_url(frontend);
        }
        for service in [
            "auth",
            "config",
            "notification",
            "leaves_wallet",
            "expensive_wallet",
            "audit",
        ] {
            config = config
                .service_url(service, upstreams.url())
                .credentials(service, Credentials::bearer("demo-token"));
        }
        for service in ["config", "audit"] {
            config = config.credentials(service, Credentials::api_key("demo-key"));
        }
        (Clients::new(config.build()?)?, Some(upstreams))
    };
    println!(
        "FRONTEND_URL is {}",
        clients.session().config().frontend_url()
    );
    let service = ApprovalsService::new(clients, |step| println!("  {step}"));
    let request = LeaveRequest {
        id: 42,
        employee_id: "emp-7".to_owned(),
        approver: "0b5e1c52-8c1d-4b5e-9a43-9d0c6c1f2a10".parse()?,
        days: 2.0,
    };
    println!("approving leave request {}:", request.id);
    match service.approve(&request).await {
        Ok(approval) => {
            println!(
                "approved: transaction {}, {} soft failure(s), link {}",
                approval.transaction.id,
                approval.soft_failures.len(),
                approval.link.as_deref().unwrap_or("(not sent)")
            );
            Ok(())
        }
        Err(error) => {
            println!("approval failed: {error} ({:?})", error.category());
            Err(error.into())
        }
    }
}
