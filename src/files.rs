//! Reading inputs, with errors that name the file and say what to do.

use std::io::Read;
use std::path::Path;

use ecr_lifecycle_compiler::source::SourceFile;

/// A file (or standard input for `-`) as text.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{}: no such file", path.display()),
            _ => format!("{}: cannot read: {e}", path.display()),
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let name = if path == Path::new("-") {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        format!(
            "{name}:{}: not UTF-8 text: {} here; save the file as UTF-8",
            position(&bytes[..at]),
            invalid_bytes(&bytes[at..])
        )
    })
}

/// `line:column` just after `valid` (UTF-8 text), both counted from 1, the column in characters.
fn position(valid: &[u8]) -> String {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{column}")
}

/// The bytes that start an invalid sequence, as hex (`0xE9`, `0xC3 0x28`).
fn invalid_bytes(rest: &[u8]) -> String {
    let len = std::str::from_utf8(rest)
        .err()
        .and_then(|e| e.error_len())
        .unwrap_or(rest.len())
        .clamp(1, 4);
    let shown: Vec<String> = rest
        .iter()
        .take(len)
        .map(|b| format!("0x{b:02X}"))
        .collect();
    format!(
        "{} {}",
        if shown.len() == 1 { "byte" } else { "bytes" },
        shown.join(" ")
    )
}

/// A source file named as the user wrote its path.
pub fn read_source(path: &Path) -> Result<SourceFile, String> {
    let text = read_text(path)?;
    Ok(SourceFile::new(path.display().to_string(), text))
}
