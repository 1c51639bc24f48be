//! Errors and warnings about a source file, kept apart from how they are drawn.
//!
//! Every stage returns [`Diagnostic`]s; [`render`] draws one with annotate-snippets as
//! `error: message` / `--> file:line:col` / the source line with a caret, then help and notes.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::source::{SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where, if the finding has a place in the file.
    #[serde(skip)]
    pub span: Option<Span>,
    /// Text under the caret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Error, message, Some(span))
    }

    pub fn warning(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(Severity::Warning, message, Some(span))
    }

    /// A finding about the file as a whole.
    pub fn file_error(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, message, None)
    }

    fn new(severity: Severity, message: impl Into<String>, span: Option<Span>) -> Diagnostic {
        Diagnostic {
            severity,
            message: message.into(),
            span,
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the finding (`file` alone without a span).
    pub fn location(&self, file: &SourceFile) -> String {
        match self.span {
            Some(span) => {
                let (line, col) = file.line_col(span.start as usize);
                format!("{}:{line}:{col}", file.name)
            }
            None => file.name.clone(),
        }
    }
}

/// Draws a diagnostic against its file; `color` adds ANSI styles.
pub fn render(diagnostic: &Diagnostic, file: &SourceFile, color: bool) -> String {
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
