//! File names from `Content-Disposition`, made safe to create inside a chosen directory.
//!
//! The server sends `attachment; filename="<percent-encoded name>"`; a hostile or broken
//! server could send `../../.bashrc`, `/etc/passwd`, `C:\Windows\…`, control characters or
//! a name longer than any file system allows. Nothing here can produce more than one path
//! component, and the result never names a parent, a root or a device.

use percent_encoding::percent_decode_str;

/// The longest name produced, in bytes (file systems allow 255).
pub const MAX_FILE_NAME_BYTES: usize = 200;

/// The file name a `Content-Disposition` value gives, decoded but **not** sanitised: prefers
/// `filename*` (RFC 5987), else `filename` (quoted or not, percent-decoded as the server
/// encodes it).
///
/// ```
/// use sambanova_agents::filename::content_disposition_file_name;
///
/// let name = content_disposition_file_name(r#"attachment; filename="sine%20wave.png""#);
/// assert_eq!(name.as_deref(), Some("sine wave.png"));
/// let name = content_disposition_file_name("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
/// assert_eq!(name.as_deref(), Some("résumé.pdf"));
/// ```
pub fn content_disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (name, raw) in parameters(value) {
        if name.eq_ignore_ascii_case("filename*") {
            // charset'language'percent-encoded
            let mut parts = raw.splitn(3, '\'');
            let (_charset, _language, encoded) = (parts.next(), parts.next(), parts.next());
            if let Some(encoded) = encoded {
                extended = Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned());
            }
        } else if name.eq_ignore_ascii_case("filename") {
            plain = Some(percent_decode_str(&raw).decode_utf8_lossy().into_owned());
        }
    }
    extended.or(plain)
}

/// Splits `type; a=b; c="d;e"` into its parameters, unquoting quoted strings.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = match value.find(';') {
        Some(index) => &value[index + 1..],
        None => return out,
    };
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return out;
        }
        let Some(eq) = rest.find('=') else {
            return out;
        };
        let name = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((index, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            text.push(escaped);
                        }
                    }
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    other => text.push(other),
                }
            }
            out.push((name, text));
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            out.push((name, rest[..end].trim().to_owned()));
            rest = &rest[end..];
        }
    }
}

/// Makes `name` a safe single file name, or `None` when nothing usable is left.
///
/// Keeps only the last path component (`/` and `\` both separate), drops control
/// characters, replaces characters Windows forbids, strips leading dots (no hidden files,
/// no `..`) and trailing dots and spaces, defuses device names (`CON`, `NUL`, …) and
/// shortens the name to [`MAX_FILE_NAME_BYTES`], keeping a short extension.
///
/// ```
/// use sambanova_agents::filename::sanitize_file_name;
///
/// assert_eq!(sanitize_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(sanitize_file_name(r"C:\Windows\win.ini").as_deref(), Some("win.ini"));
/// assert_eq!(sanitize_file_name("C:evil.txt").as_deref(), Some("C_evil.txt"));
/// assert_eq!(sanitize_file_name("chart\u{0}.png").as_deref(), Some("chart.png"));
/// assert_eq!(sanitize_file_name(".."), None);
/// assert_eq!(sanitize_file_name("nul.txt").as_deref(), Some("_nul.txt"));
/// ```
pub fn sanitize_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible(c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            other => other,
        })
        .collect();
    let trimmed = clean
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    clean = trimmed.to_owned();
    if clean.is_empty() {
        return None;
    }
    let stem = clean.split('.').next().unwrap_or("").to_ascii_uppercase();
    const DEVICES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    // Windows also reserves COM and LPT with a superscript digit (`COM¹`).
    let is_device = DEVICES.contains(&stem.as_str())
        || ["COM", "LPT"].iter().any(|prefix| {
            stem.strip_prefix(prefix).is_some_and(|digit| {
                (digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit())
                    || matches!(digit, "¹" | "²" | "³")
            })
        });
    if is_device {
        clean.insert(0, '_');
    }
    Some(shorten(&clean))
}

/// Characters that show nothing, or change how the text around them shows: bidirectional
/// marks, overrides and isolates (they make `gnp.exe` display as `exe.png`), zero-width
/// characters, the byte order mark, line and paragraph separators, the soft hyphen. A file
/// name keeps none of them: two names that look the same must be the same.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
    )
}

fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16)
        .unwrap_or("");
    let mut end = MAX_FILE_NAME_BYTES - extension.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    // The same trimming as the whole name had: the cut may end on any whitespace.
    let stem = name[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_bidi_characters_do_not_survive() {
        for (name, expected) in [
            ("re\u{061c}port.pdf", "report.pdf"),
            ("re\u{200b}port.pdf", "report.pdf"),
            ("\u{feff}report.pdf", "report.pdf"),
            ("report\u{2028}.pdf", "report.pdf"),
            ("\u{202e}fdp.exe", "fdp.exe"),
            ("a\u{2066}b\u{2069}.txt", "ab.txt"),
            ("soft\u{00ad}hyphen.txt", "softhyphen.txt"),
        ] {
            assert_eq!(
                sanitize_file_name(name).as_deref(),
                Some(expected),
                "{name:?}"
            );
        }
        assert_eq!(sanitize_file_name("\u{200b}\u{feff}"), None);
    }

    #[test]
    fn hostile_names_stay_one_component() {
        let cases = [
            "../../../../tmp/x",
            "/etc/passwd",
            r"\\server\share\x",
            "C:\\x",
            "..%2F..%2Fx",
            "a\u{7}b\u{1b}[31mc",
            "\u{202e}gnp.exe",
        ];
        for case in cases {
            let decoded = percent_decode_str(case).decode_utf8_lossy().into_owned();
            let safe = sanitize_file_name(&decoded).unwrap();
            assert!(
                !safe.contains(['/', '\\']) && !safe.starts_with('.'),
                "{case:?} -> {safe:?}"
            );
            assert!(!safe.chars().any(char::is_control), "{case:?} -> {safe:?}");
        }
    }

    #[test]
    fn long_names_are_shortened_keeping_the_extension() {
        let long = format!("{}.png", "a".repeat(10_000));
        let safe = sanitize_file_name(&long).unwrap();
        assert!(safe.len() <= MAX_FILE_NAME_BYTES && safe.ends_with(".png"));
        let wide = "é".repeat(5_000);
        assert!(sanitize_file_name(&wide).unwrap().len() <= MAX_FILE_NAME_BYTES);
    }

    #[test]
    fn nothing_usable_is_none() {
        for case in ["", ".", "..", "...", " ", "/", "a/", "\u{0}"] {
            assert_eq!(sanitize_file_name(case), None, "{case:?}");
        }
    }

    #[test]
    fn content_disposition_forms() {
        let cd = content_disposition_file_name;
        assert_eq!(
            cd(r#"attachment; filename="a\"b.txt""#).as_deref(),
            Some("a\"b.txt")
        );
        assert_eq!(
            cd("attachment; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        assert_eq!(
            cd(r#"attachment; filename="x;y.txt"; size=3"#).as_deref(),
            Some("x;y.txt")
        );
        assert_eq!(cd("attachment").as_deref(), None);
        assert_eq!(
            cd(r#"attachment; filename="unterminated"#).as_deref(),
            Some("unterminated")
        );
    }
}
