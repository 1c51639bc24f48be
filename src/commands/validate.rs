use crate::cli::ValidateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

pub(super) fn run(args: &ValidateArgs) -> ExitStatus {
    let Some(policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    let mut out = String::new();
    for (file, policy) in &policies {
        output::diagnostics(file, &load::glob_warnings(policy));
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let n = policy.rules.len();
        let archive = match policy.archive_rules().len() {
            0 => String::new(),
            a => format!(", {a} archive rule{}", plural(a)),
        };
        out.push_str(&format!(
            "{}: valid, {n} rule{}{archive}\n",
            file.name,
            plural(n)
        ));
    }
    output::stdout(&out);
    ExitStatus::Success
}
