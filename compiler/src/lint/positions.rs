//! Where each rule starts in policy text, so a finding can point at it. serde_json keeps no
//! positions, so this walks the text once: the objects directly inside the top-level `rules`
//! array, in order. Text that is not shaped so gives no positions, never an error.

use crate::native::Position;

/// The position of each element of the top-level `rules` array (`None` past the end).
pub(crate) fn rule_starts(text: &str) -> Vec<Option<Position>> {
    let mut out = Vec::new();
    // The containers open at this point, and whether the top-level object's current key
    // is `rules`.
    let mut depth = 0usize;
    let mut in_rules = false;
    let mut last_key: Option<String> = None;
    let mut line = 1;
    let mut column = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let here = Position { line, column };
        match c {
            '"' => {
                let mut s = String::new();
                advance(c, &mut line, &mut column);
                while let Some(n) = chars.next() {
                    advance(n, &mut line, &mut column);
                    match n {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                advance(e, &mut line, &mut column);
                            }
                        }
                        '"' => break,
                        _ => s.push(n),
                    }
                }
                if depth == 1 {
                    last_key = Some(s);
                }
                continue;
            }
            '{' | '[' => {
                if depth == 2 && in_rules && c == '{' {
                    out.push(Some(here));
                }
                if depth == 1 && c == '[' && last_key.as_deref() == Some("rules") {
                    in_rules = true;
                }
                depth += 1;
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    in_rules = false;
                }
            }
            ',' if depth == 1 => last_key = None,
            _ => {}
        }
        advance(c, &mut line, &mut column);
    }
    out
}

fn advance(c: char, line: &mut usize, column: &mut usize) {
    if c == '\n' {
        *line += 1;
        *column = 1;
    } else {
        *column += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_rule_object_of_the_top_level_array() {
        let text = "{\n  \"x\": [{}],\n  \"rules\": [\n    {\"a\": \"}{[\\\"\", \"b\": [{}]},\n    {}\n  ]\n}";
        let starts = rule_starts(text);
        assert_eq!(
            starts,
            vec![
                Some(Position { line: 4, column: 5 }),
                Some(Position { line: 5, column: 5 })
            ]
        );
        assert!(rule_starts("not json").is_empty());
    }
}
