//! Amazon ECS: the images of running tasks (by digest, as ECS pulled them), of the task
//! definitions of every service deployment (primary, active and draining), and of the latest
//! five active revisions of every task definition family (what a rollback would start).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    DesiredStatus, SortOrder, TaskDefinitionFamilyStatus, TaskDefinitionStatus,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{Source, Usage, all_pages};
use crate::registry::RegistryError;
use crate::registry::ecr::sdk_error;
use crate::stats::Stats;

/// Revisions per family that count as in use.
pub const LATEST_REVISIONS: usize = 5;

/// The last path segment of an ARN (`…:cluster/prod` → `prod`).
fn leaf(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Reads every reference ECS holds in the client's region, `concurrency` calls at a time.
pub async fn read(
    client: &Client,
    stats: &Stats,
    concurrency: usize,
) -> Result<Usage, RegistryError> {
    let n = concurrency.max(1);
    let clusters = list_clusters(client, stats).await?;
    // Task definition ARN → who uses it.
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut usage = Usage::default();
    let per_cluster: Vec<(Vec<(String, String)>, Usage)> = stream::iter(clusters)
        .map(|cluster| async move { read_cluster(client, stats, &cluster).await })
        .buffer_unordered(n)
        .try_collect()
        .await?;
    for (services, tasks) in per_cluster {
        for (definition, consumer) in services {
            users.entry(definition).or_default().insert(consumer);
        }
        usage.extend(tasks);
    }
    let families = list_families(client, stats).await?;
    let latest: Vec<Vec<String>> = stream::iter(families)
        .map(|family| async move { latest_revisions(client, stats, &family).await })
        .buffer_unordered(n)
        .try_collect()
        .await?;
    for arn in latest.into_iter().flatten() {
        let consumer = format!("ecs task definition {}", leaf(&arn));
        users.entry(arn).or_default().insert(consumer);
    }
    let images: Vec<(String, Vec<String>)> = stream::iter(users.keys().cloned())
        .map(|arn| async move {
            let images = definition_images(client, stats, &arn).await?;
            Ok::<_, RegistryError>((arn, images))
        })
        .buffer_unordered(n)
        .try_collect()
        .await?;
    for (arn, images) in images {
        for consumer in users.get(&arn).into_iter().flatten() {
            for image in &images {
                usage.add(image, consumer, &Source::Ecs);
            }
        }
    }
    Ok(usage)
}

async fn list_clusters(client: &Client, stats: &Stats) -> Result<Vec<String>, RegistryError> {
    let pages = client
        .list_clusters()
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    all_pages(stats, "ecs:ListClusters", pages, |p| {
        out.extend(p.cluster_arns().iter().cloned())
    })
    .await?;
    Ok(out)
}

/// A cluster's services (as `(task definition ARN, consumer)`) and running tasks.
async fn read_cluster(
    client: &Client,
    stats: &Stats,
    cluster: &str,
) -> Result<(Vec<(String, String)>, Usage), RegistryError> {
    let name = leaf(cluster);
    let mut services = Vec::new();
    let pages = client
        .list_services()
        .cluster(cluster)
        .max_results(100)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    all_pages(stats, "ecs:ListServices", pages, |p| {
        arns.extend(p.service_arns().iter().cloned())
    })
    .await?;
    for chunk in arns.chunks(10) {
        let timer = stats.start("ecs:DescribeServices");
        let out = client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("ecs:DescribeServices", None, e))?;
        timer.done();
        for s in out.services() {
            let consumer = format!(
                "ecs service {name}/{}",
                s.service_name()
                    .unwrap_or_else(|| leaf(s.service_arn().unwrap_or("?")))
            );
            let definitions = s
                .deployments()
                .iter()
                .filter_map(|d| d.task_definition())
                .chain(s.task_definition());
            for d in definitions {
                services.push((d.to_string(), consumer.clone()));
            }
        }
    }

    let mut usage = Usage::default();
    let pages = client
        .list_tasks()
        .cluster(cluster)
        .desired_status(DesiredStatus::Running)
        .max_results(100)
        .into_paginator()
        .send();
    let mut tasks = Vec::new();
    all_pages(stats, "ecs:ListTasks", pages, |p| {
        tasks.extend(p.task_arns().iter().cloned())
    })
    .await?;
    for chunk in tasks.chunks(100) {
        let timer = stats.start("ecs:DescribeTasks");
        let out = client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("ecs:DescribeTasks", None, e))?;
        timer.done();
        for t in out.tasks() {
            let consumer = format!("ecs task {name}/{}", leaf(t.task_arn().unwrap_or("?")));
            // The task definition's images: what a replacement task would start.
            if let Some(d) = t.task_definition_arn() {
                services.push((d.to_string(), consumer.clone()));
            }
            for c in t.containers() {
                let Some(image) = c.image() else { continue };
                usage.add(image, &consumer, &Source::Ecs);
                // What it actually runs, whatever the tag names today.
                // (A digest beside the tag names the image; the tag is then only a label.)
                if let Some(digest) = c.image_digest()
                    && !image.contains('@')
                {
                    usage.add(&format!("{image}@{digest}"), &consumer, &Source::Ecs);
                }
            }
        }
    }
    Ok((services, usage))
}

async fn list_families(client: &Client, stats: &Stats) -> Result<Vec<String>, RegistryError> {
    let pages = client
        .list_task_definition_families()
        .status(TaskDefinitionFamilyStatus::Active)
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    all_pages(stats, "ecs:ListTaskDefinitionFamilies", pages, |p| {
        out.extend(p.families().iter().cloned())
    })
    .await?;
    Ok(out)
}

/// The ARNs of a family's latest active revisions: one page, newest first, then sorted here
/// too (an endpoint that ignores `sort` answers in any order).
async fn latest_revisions(
    client: &Client,
    stats: &Stats,
    family: &str,
) -> Result<Vec<String>, RegistryError> {
    let timer = stats.start("ecs:ListTaskDefinitions");
    let out = client
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .max_results(LATEST_REVISIONS as i32)
        .send()
        .await
        .map_err(|e| sdk_error("ecs:ListTaskDefinitions", None, e))?;
    timer.done();
    let revision = |arn: &str| {
        leaf(arn)
            .rsplit_once(':')
            .and_then(|(_, r)| r.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut arns: Vec<String> = out
        .task_definition_arns()
        .iter()
        .filter(|a| leaf(a).rsplit_once(':').is_some_and(|(f, _)| f == family))
        .cloned()
        .collect();
    arns.sort_by_key(|a| std::cmp::Reverse(revision(a)));
    arns.truncate(LATEST_REVISIONS);
    Ok(arns)
}

async fn definition_images(
    client: &Client,
    stats: &Stats,
    arn: &str,
) -> Result<Vec<String>, RegistryError> {
    let timer = stats.start("ecs:DescribeTaskDefinition");
    let out = client
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| sdk_error("ecs:DescribeTaskDefinition", None, e))?;
    timer.done();
    Ok(out
        .task_definition()
        .map(|d| {
            d.container_definitions()
                .iter()
                .filter_map(|c| c.image().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_definition_arn_ends_in_family_and_revision() {
        assert_eq!(
            leaf("arn:aws:ecs:eu-west-1:1:task-definition/web:12"),
            "web:12"
        );
    }
}
