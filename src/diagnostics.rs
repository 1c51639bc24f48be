//! Drawing a diagnostic against the file it is about: the source line, a caret under the span,
//! notes and help (annotate-snippets). The one place diagnostics become text.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use ecr_lifecycle_compiler::diagnostic::{Diagnostic, Severity};
use ecr_lifecycle_compiler::source::{SourceFile, Span};

/// Draws a diagnostic against its file; `color` adds ANSI styles.
pub(crate) fn render(diagnostic: &Diagnostic, file: &SourceFile, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(diagnostic.message.as_str());
    let mut group = match diagnostic.span {
        Some(span) => {
            let range = clamp(span, &file.text);
            let annotation = AnnotationKind::Primary
                .span(range)
                .label(diagnostic.label.as_deref());
            title.element(
                Snippet::source(file.text.as_str())
                    .path(file.name.as_str())
                    .annotation(annotation),
            )
        }
        None => title.element(annotate_snippets::Origin::path(file.name.as_str())),
    };
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let report: [Group; 1] = [group];
    renderer.render(&report)
}

/// A span inside the text on character boundaries, so rendering can never slice mid-character.
fn clamp(span: Span, text: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_source_line_caret_and_help() {
        let file = SourceFile::new("p.yaml", "version: 1\nrules:\n  - name: x\n");
        let start = file.text.find('x').unwrap();
        let d = Diagnostic::error("bad name", Span::new(start, start + 1))
            .with_label("here")
            .with_help("rename it");
        let out = render(&d, &file, false);
        assert!(out.starts_with("error: bad name\n"), "{out}");
        assert!(out.contains("--> p.yaml:3:11"), "{out}");
        assert!(out.contains("  - name: x"), "{out}");
        assert!(out.contains("^ here"), "{out}");
        assert!(out.contains("help: rename it"), "{out}");
        assert_eq!(d.location(&file), "p.yaml:3:11");
    }

    #[test]
    fn a_span_past_the_end_or_mid_character_does_not_panic() {
        let file = SourceFile::new("p.yaml", "é");
        for span in [Span::new(1, 2), Span::new(50, 60), Span::new(0, 1)] {
            let out = render(&Diagnostic::error("m", span), &file, false);
            assert!(out.contains("p.yaml"), "{out}");
        }
    }
}
