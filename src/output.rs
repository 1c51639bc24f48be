//! Writing diagnostics and messages to the terminal.

use std::io::Write;

use ecr_lifecycle_compiler::diagnostic::Diagnostic;

use crate::diagnostics::render;
use ecr_lifecycle_compiler::source::SourceFile;

/// Whether standard error gets colour (anstream strips it otherwise, honouring NO_COLOR).
fn stderr_colored() -> bool {
    !matches!(
        anstream::AutoStream::choice(&std::io::stderr()),
        anstream::ColorChoice::Never
    )
}

/// Prints diagnostics about `file` to standard error, each followed by a blank line.
pub(crate) fn diagnostics(file: &SourceFile, diagnostics: &[Diagnostic]) {
    let color = stderr_colored();
    let mut err = anstream::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{}\n", render(d, file, color));
    }
}

/// `error: message` on standard error.
pub(crate) fn error(message: &str) {
    let style = anstyle::AnsiColor::BrightRed.on_default().bold();
    let _ = writeln!(anstream::stderr(), "{style}error{style:#}: {message}");
}

/// `warning: message` on standard error.
pub(crate) fn warning(message: &str) {
    let style = anstyle::AnsiColor::BrightYellow.on_default().bold();
    let _ = writeln!(anstream::stderr(), "{style}warning{style:#}: {message}");
}

/// Writes to standard output, ignoring a closed pipe (`| head`).
pub(crate) fn stdout(text: &str) {
    let mut out = anstream::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Standard output written by `write` through a buffer, for documents too large to make whole
/// first (a plan's JSON). Data, never coloured.
pub(crate) fn stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = write(&mut out);
    let _ = out.flush();
}

/// A note for the user on standard error (not part of the output proper).
pub(crate) fn note(message: &str) {
    let _ = writeln!(anstream::stderr(), "{message}");
}

/// Rendered lines on standard output, styled by kind (colour only on a terminal).
pub(crate) fn lines(lines: &crate::render::Lines) {
    use crate::render::Kind;
    use anstyle::{AnsiColor, Style};
    let mut out = anstream::stdout().lock();
    for (kind, text) in lines {
        let style = match kind {
            Kind::Heading => Style::new().bold(),
            Kind::Add => AnsiColor::Green.on_default(),
            Kind::Change => AnsiColor::Yellow.on_default(),
            Kind::Remove => AnsiColor::Red.on_default(),
            Kind::Note => Style::new().dimmed(),
            Kind::Warning => AnsiColor::Yellow.on_default().bold(),
            Kind::Plain => Style::new(),
        };
        let _ = writeln!(out, "{style}{text}{style:#}");
    }
    let _ = out.flush();
}
