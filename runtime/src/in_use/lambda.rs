//! AWS Lambda: the image of every version of every container-image function. Aliases point at
//! versions, so every version is read. Each version counts twice: as deployed
//! (`ResolvedImageUri`, by digest: what runs) and as configured (`ImageUri`, often a tag).

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::{FunctionVersion, PackageType};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{Source, Usage, all_pages};
use crate::registry::RegistryError;
use crate::registry::ecr::sdk_error;
use crate::stats::Stats;

/// Reads every image reference Lambda holds in the client's region.
pub async fn read(
    client: &Client,
    stats: &Stats,
    concurrency: usize,
) -> Result<Usage, RegistryError> {
    let pages = client
        .list_functions()
        .function_version(FunctionVersion::All)
        .max_items(50)
        .into_paginator()
        .send();
    let mut versions: Vec<(String, String)> = Vec::new();
    all_pages(stats, "lambda:ListFunctions", pages, |page| {
        for f in page.functions() {
            if f.package_type() != Some(&PackageType::Image) {
                continue;
            }
            if let (Some(name), Some(version)) = (f.function_name(), f.version()) {
                versions.push((name.to_string(), version.to_string()));
            }
        }
    })
    .await?;
    let found: Vec<Usage> = stream::iter(versions)
        .map(|(name, version)| async move {
            let timer = stats.start("lambda:GetFunction");
            let out = client
                .get_function()
                .function_name(&name)
                .qualifier(&version)
                .send()
                .await
                .map_err(|e| sdk_error("lambda:GetFunction", None, e))?;
            timer.done();
            let consumer = format!("lambda function {name}:{version}");
            let mut usage = Usage::default();
            if let Some(code) = out.code() {
                for uri in [code.resolved_image_uri(), code.image_uri()]
                    .into_iter()
                    .flatten()
                {
                    usage.add(uri, &consumer, &Source::Lambda);
                }
            }
            Ok::<_, RegistryError>(usage)
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut usage = Usage::default();
    for u in found {
        usage.extend(u);
    }
    Ok(usage)
}
