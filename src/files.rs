//! Reading inputs, with errors that name the file and say what to do.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use ecr_lifecycle_compiler::source::SourceFile;

/// A file (or standard input for `-`) as text.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
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
pub(crate) fn read_source(path: &Path) -> Result<SourceFile, String> {
    let text = read_text(path)?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// A path named the same however it was typed: `./policies/x.yaml`, `policies//x.yaml` and
/// `/abs/cwd/policies/x.yaml` (run from `/abs/cwd`) are all `policies/x.yaml`. A path outside
/// the current directory stays absolute; `..` is kept as written (it may cross a symbolic link).
pub(crate) fn normal_name(path: &Path) -> String {
    let cleaned: PathBuf = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if cleaned.as_os_str().is_empty() {
        return path.display().to_string();
    }
    if cleaned.is_absolute()
        && let Ok(cwd) = std::env::current_dir()
    {
        if let Ok(rel) = cleaned.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
        // The current directory as the system reports it has its links resolved.
        if let (Ok(real), Ok(real_cwd)) = (cleaned.canonicalize(), cwd.canonicalize())
            && let Ok(rel) = real.strip_prefix(&real_cwd)
        {
            return rel.display().to_string();
        }
    }
    cleaned.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_named_the_same_however_it_is_typed() {
        let cwd = std::env::current_dir().unwrap();
        for typed in [
            "policies/x.yaml".to_string(),
            "./policies/x.yaml".to_string(),
            "policies//x.yaml".to_string(),
            "././policies/./x.yaml".to_string(),
            cwd.join("policies/x.yaml").display().to_string(),
            format!("{}//policies/./x.yaml", cwd.display()),
        ] {
            assert_eq!(normal_name(Path::new(&typed)), "policies/x.yaml", "{typed}");
        }
        assert_eq!(normal_name(Path::new("../x.yaml")), "../x.yaml");
        assert_eq!(
            normal_name(Path::new("/nowhere-near/./x.yaml")),
            "/nowhere-near/x.yaml"
        );
    }
}
