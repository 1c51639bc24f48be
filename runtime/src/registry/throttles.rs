//! Sees every attempt the SDK makes and tells the pace and the statistics about the ones the
//! registry throttled, while the SDK retries them.

use std::sync::Arc;

use aws_sdk_ecr::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_ecr::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use crate::pace::Pace;
use crate::stats::Stats;

/// Error codes AWS services answer when a caller goes too fast (the SDK's own list).
const THROTTLING_CODES: [&str; 11] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
];

#[derive(Debug)]
pub(crate) struct ThrottleWatch {
    pace: Arc<Pace>,
    stats: Arc<Stats>,
}

impl ThrottleWatch {
    pub(crate) fn new(pace: Arc<Pace>, stats: Arc<Stats>) -> ThrottleWatch {
        ThrottleWatch { pace, stats }
    }
}

impl Intercept for ThrottleWatch {
    fn name(&self) -> &'static str {
        "ThrottleWatch"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        let code = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_string)
            .or_else(|| response.body().bytes().and_then(body_error_type));
        if throttled(response.status().as_u16(), code.as_deref()) {
            self.pace.throttled();
            let operation = cfg
                .load::<Metadata>()
                .map_or("(unknown)", |m| m.name())
                .to_string();
            self.stats.throttled(operation);
        }
        Ok(())
    }
}

/// `__type` of a JSON error body.
fn body_error_type(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("__type")?.as_str().map(str::to_string)
}

/// Whether an answer is throttling: HTTP 429, or one of the codes, written bare, after a
/// namespace (`…#Code`) or before details (`Code:http://…`).
fn throttled(status: u16, code: Option<&str>) -> bool {
    let bare = code.map(|c| {
        let c = c.rsplit('#').next().unwrap_or(c);
        c.split(':').next().unwrap_or(c)
    });
    status == 429 || bare.is_some_and(|c| THROTTLING_CODES.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_throttling_by_status_and_code_in_every_spelling() {
        assert!(throttled(429, None));
        assert!(throttled(400, Some("ThrottlingException")));
        assert!(throttled(
            400,
            Some("com.amazonaws.ecr#ThrottlingException")
        ));
        assert!(throttled(
            400,
            Some("ThrottlingException:http://internal.amazon.com/")
        ));
        assert!(!throttled(400, Some("RepositoryNotFoundException")));
        assert!(!throttled(500, Some("ServerException")));
        assert!(!throttled(200, None));
        assert_eq!(
            body_error_type(br#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#)
                .as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(body_error_type(b"not json"), None);
    }
}
