//! Reading inputs, with errors that name the file and say what to do.

use std::io::Read;
use std::path::Path;

use ecr_lifecycle_compiler::source::SourceFile;

/// A file (or standard input for `-`) as text.
pub fn read_text(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: no such file", path.display()),
        std::io::ErrorKind::InvalidData => format!("{}: not UTF-8 text", path.display()),
        _ => format!("{}: cannot read: {e}", path.display()),
    })
}

/// A source file named as the user wrote its path.
pub fn read_source(path: &Path) -> Result<SourceFile, String> {
    let text = read_text(path)?;
    Ok(SourceFile::new(path.display().to_string(), text))
}
