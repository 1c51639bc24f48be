//! Errors and warnings about a source file, kept apart from how they are drawn.
//!
//! Every stage returns [`Diagnostic`]s: a severity, a message, the span it is about, a label,
//! notes and help. The CLI draws them (`error: message` / `--> file:line:col` / the source line
//! with a caret, then help and notes); nothing here knows how.

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
