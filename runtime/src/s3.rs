//! Policy files kept in S3 (`s3://bucket/prefix/`), for the Lambda function: a deployment that
//! changes its policies by uploading files, not by packaging the function again.

use aws_sdk_s3::Client;

use crate::registry::ecr::{EcrOptions, load_config, sdk_error};
use crate::registry::{ErrorKind, RegistryError};

/// Where policy files are: every `*.yaml` and `*.yml` object under the prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    /// `s3://bucket/prefix/` (the prefix may be empty); `None` for anything not `s3://`.
    pub fn parse(text: &str) -> Option<Result<S3Location, String>> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(format!(
                "`{text}` names no bucket: write s3://BUCKET/PREFIX/"
            )));
        }
        Some(Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        }))
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// A policy file's name (`s3://bucket/key`) and bytes.
pub type PolicyObject = (String, Vec<u8>);

/// Reads every policy file under `location`, sorted by key, with the credentials, region and
/// endpoint the options name (as ECR is reached).
pub async fn read_policy_files(
    location: &S3Location,
    options: &EcrOptions,
) -> Result<Vec<PolicyObject>, RegistryError> {
    let config = load_config(options).await;
    let mut s3 = aws_sdk_s3::config::Builder::from(&config);
    // An endpoint of one's own (a local stand-in, a gateway) seldom serves bucket subdomains.
    let own_endpoint = options.endpoint_url.is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some();
    if own_endpoint {
        s3 = s3.force_path_style(true);
    }
    let client = Client::from_conf(s3.build());
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(&location.bucket)
            .prefix(&location.prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error("ListObjectsV2", None, e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| k.ends_with(".yaml") || k.ends_with(".yml"))
                .map(str::to_string),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    keys.sort();
    let mut files = Vec::with_capacity(keys.len());
    for key in keys {
        let object = client
            .get_object()
            .bucket(&location.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| sdk_error("GetObject", None, e))?;
        let bytes = object.body.collect().await.map_err(|e| {
            RegistryError::new(
                "GetObject",
                None,
                ErrorKind::Unreachable,
                format!("{}: {e}", location.url(&key)),
            )
        })?;
        files.push((location.url(&key), bytes.into_bytes().to_vec()));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_a_bucket_and_a_prefix() {
        let l = S3Location::parse("s3://ops/ecr-lifecycle/")
            .unwrap()
            .unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("ops", "ecr-lifecycle/")
        );
        let l = S3Location::parse("s3://ops").unwrap().unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("ops", ""));
        assert!(S3Location::parse("s3:///x").unwrap().is_err());
        assert!(S3Location::parse("policies/*.yaml").is_none());
    }
}
