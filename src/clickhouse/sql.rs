//! The one place SQL text is made: identifiers back-quoted with `\` and `` ` `` escaped,
//! string literals single-quoted with `\` and `'` (and control characters) escaped, numbers
//! written from typed values, and a user's `--where` filter checked to be one boolean
//! expression (no `;`, no comments, balanced parentheses and quotes) before it is wrapped
//! in parentheses. With `readonly=1` and one statement per HTTP request, a hostile name or
//! value can neither write nor run a second statement.

use super::error::ClickHouseError;

/// A back-quoted identifier: `` `a``b` `` for ``a`b``.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        match c {
            '`' => out.push_str("\\`"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

/// `db`.`table`.
pub fn table(database: &str, table: &str) -> String {
    format!("{}.{}", ident(database), ident(table))
}

/// A single-quoted string literal.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A number as SQL (finite values only).
pub fn number(x: f64) -> Option<String> {
    x.is_finite().then(|| format!("{x:?}"))
}

/// Checks a user's filter: one expression, no statement separator, no comment, quotes and
/// parentheses balanced. Returns it wrapped in parentheses.
pub fn filter(text: &str, server: &str) -> Result<String, ClickHouseError> {
    let bad = |problem: &str| ClickHouseError::Input {
        server: server.to_string(),
        problem: format!("--where {problem}"),
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad("is empty"));
    }
    let chars: Vec<char> = t.chars().collect();
    let mut depth = 0i32;
    let mut i = 0;
    // the text outside quotes, where statement words are looked for
    let mut bare = String::with_capacity(t.len());
    while i < chars.len() {
        let c = chars[i];
        if !matches!(c, '\'' | '"' | '`') {
            bare.push(c);
        } else {
            bare.push(' ');
        }
        match c {
            '\'' | '"' | '`' => {
                // skip the quoted part, honouring backslash escapes
                let q = c;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad("has an unclosed quote")),
                        Some('\\') => i += 2,
                        Some(x) if *x == q => {
                            // a doubled quote is an escaped quote
                            if chars.get(i + 1) == Some(&q) {
                                i += 2;
                            } else {
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            ';' => return Err(bad("may not contain ';' (one condition, not statements)")),
            '-' if chars.get(i + 1) == Some(&'-') => return Err(bad("may not contain comments")),
            '/' if chars.get(i + 1) == Some(&'*') => return Err(bad("may not contain comments")),
            '#' => return Err(bad("may not contain comments")),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(bad("has an unbalanced ')'"));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err(bad("has an unbalanced '('"));
    }
    if t.contains("$$") {
        return Err(bad("may not contain $$-quoted text"));
    }
    if bare
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| {
            matches!(
                w,
                "INSERT"
                    | "ALTER"
                    | "DROP"
                    | "CREATE"
                    | "TRUNCATE"
                    | "RENAME"
                    | "ATTACH"
                    | "DETACH"
                    | "OPTIMIZE"
                    | "KILL"
                    | "SYSTEM"
                    | "GRANT"
                    | "SET"
                    | "FORMAT"
                    | "SETTINGS"
                    | "INTO"
            )
        })
    {
        return Err(bad("is a condition on rows, not a statement"));
    }
    Ok(format!("({t})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_and_values_stay_inside_their_quotes() {
        assert_eq!(ident("user_id"), "`user_id`");
        assert_eq!(ident("a`; DROP TABLE t; --"), "`a\\`; DROP TABLE t; --`");
        assert_eq!(ident("back\\`tick"), "`back\\\\\\`tick`");
        assert_eq!(literal("o'brien"), "'o\\'brien'");
        assert_eq!(
            literal("x\\'; DROP TABLE t; --"),
            "'x\\\\\\'; DROP TABLE t; --'"
        );
        assert_eq!(literal("a\nb"), "'a\\nb'");
        assert_eq!(number(1.5).as_deref(), Some("1.5"));
        assert_eq!(number(f64::NAN), None);
    }

    #[test]
    fn filters_are_one_condition() {
        assert_eq!(filter("country = 'DE'", "s").unwrap(), "(country = 'DE')");
        assert!(filter("note = 'a;b' AND x = \"c--d\"", "s").is_ok());
        assert!(filter("name = 'it''s'", "s").is_ok());
        // statement words inside quotes are values, not statements
        assert!(filter("note = 'data set x' AND tag = 'insert into'", "s").is_ok());
        assert!(filter("x = 1 AND (y = 2)SETTINGS readonly = 0", "s").is_err());
        assert!(filter("x = $$a$$", "s").is_err());
        for bad in [
            "1=1; DROP TABLE t",
            "1=1 -- and the rest",
            "1=1 /* x */",
            "1=1) OR (1=1",
            "(1=1",
            "x = 'open",
            "1=1 SETTINGS readonly=0",
            "1=1 FORMAT TSV",
            "",
        ] {
            assert!(filter(bad, "s").is_err(), "{bad}");
        }
    }
}
