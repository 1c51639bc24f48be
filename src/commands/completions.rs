//! `completions SHELL`: clap_complete's scripts, with its bash script mended for a binary name
//! that has a hyphen.

use crate::exit::ExitStatus;

const BIN: &str = "ecr-lifecycle";

pub(super) fn run(shell: clap_complete::Shell) -> ExitStatus {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut out);
    let mut script = String::from_utf8_lossy(&out).into_owned();
    if shell == clap_complete::Shell::Bash {
        script = mend_bash(&script, BIN);
    }
    crate::output::stdout(&script);
    ExitStatus::Success
}

/// clap_complete's bash script walks the words into a state spelled `ecr__lifecycle__subcmd__plan`
/// but names the arms of its `case` `ecr__subcmd__lifecycle__subcmd__plan` (it escapes the
/// binary's hyphen like a subcommand separator), so nothing past a subcommand name ever
/// completes (clap-rs/clap#6421, #6529). Spell the arms as the walk does; a script already
/// consistent is left as it is.
fn mend_bash(script: &str, bin: &str) -> String {
    let walked = bin.replace('-', "__");
    let armed = bin.replace('-', "__subcmd__");
    if walked == armed {
        return script.to_string();
    }
    script.replace(&armed, &walked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state the word walk can reach has an arm.
    #[test]
    fn every_state_of_the_bash_script_has_its_arm() {
        let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
        let mut out = Vec::new();
        clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, BIN, &mut out);
        let script = mend_bash(&String::from_utf8(out).unwrap(), BIN);
        let states: std::collections::BTreeSet<&str> = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|s| !s.is_empty())
            .collect();
        assert!(
            states.contains("ecr__lifecycle__subcmd__plan"),
            "{states:?}"
        );
        for state in &states {
            assert!(
                script.lines().any(|l| l.trim() == format!("{state})")),
                "no arm for `{state}`"
            );
        }
    }
}
