//! End-to-end tests of the `ecr-lifecycle` binary: each runs it with files and arguments and
//! compares one snapshot of exit code, standard output and standard error.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

mod accounts;
mod archive;
mod commands;
mod defaults;
mod deploy;
mod e2e;
mod ecosystem;
mod faults;
mod harness;
mod in_use;
mod lambda;
mod lint;
mod policies;
mod proxy;
mod public;
mod release;
mod stand_in;
mod team;
mod terraform;
mod untag;
mod versions;
mod workflow;
