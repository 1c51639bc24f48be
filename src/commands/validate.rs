use crate::cli::ValidateArgs;
use crate::commands::load;
use crate::exit::ExitStatus;
use crate::output;

pub fn run(args: &ValidateArgs) -> ExitStatus {
    let Some(policies) = load::policies(&args.files) else {
        return ExitStatus::Failure;
    };
    let mut out = String::new();
    for (file, policy) in &policies {
        output::diagnostics(file, &load::glob_warnings(policy));
        let n = policy.rules.len();
        out.push_str(&format!(
            "{}: valid, {n} rule{}\n",
            file.name,
            if n == 1 { "" } else { "s" }
        ));
    }
    output::stdout(&out);
    ExitStatus::Success
}
