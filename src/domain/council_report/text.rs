//! Office-written text shown to a council: shortened to an excerpt, with the names of
//! clients who did not consent to be named replaced by 〇〇.

use std::collections::HashMap;

/// What a withheld name becomes.
pub const MASK: &str = "〇〇";

/// The longest example text, in characters.
pub const EXCERPT_CHARS: usize = 120;

/// Names to remove, indexed by their first character so that a text is scanned once
/// whatever the number of names (a prefecture's offices have thousands of clients).
#[derive(Debug, Default)]
pub struct Redactor {
    by_first: HashMap<char, Vec<String>>,
}

impl Redactor {
    /// Each name (and reading) is matched as written, without its blanks, and with a
    /// full-width blank between its parts: offices write 山田花子, 山田 花子 or 山田　花子.
    /// Single characters are skipped: they would mask ordinary words.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_first: HashMap<char, Vec<String>> = HashMap::new();
        for name in names {
            let parts: Vec<&str> = name.split_whitespace().collect();
            for variant in [parts.join(""), parts.join(" "), parts.join("\u{3000}")] {
                if variant.chars().count() < 2 {
                    continue;
                }
                let Some(first) = variant.chars().next() else {
                    continue;
                };
                let list = by_first.entry(first).or_default();
                if !list.contains(&variant) {
                    list.push(variant);
                }
            }
        }
        // Longest first, so 山田花子 is masked whole before 山田 could match.
        for list in by_first.values_mut() {
            list.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
        Self { by_first }
    }

    pub fn redact(&self, text: &str) -> String {
        if self.by_first.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let hit = self
                .by_first
                .get(&c)
                .and_then(|list| list.iter().find(|name| rest.starts_with(name.as_str())));
            match hit {
                Some(name) => {
                    out.push_str(MASK);
                    rest = &rest[name.len()..];
                }
                None => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out
    }
}

/// One line of at most [`EXCERPT_CHARS`] characters: runs of blanks and line breaks
/// become one blank, and a cut text ends with `…`.
pub fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_masked_however_it_is_spaced_and_other_words_stay() {
        let r = Redactor::new(["山田 花子", "やまだ はなこ", "李"]);
        assert_eq!(
            r.redact(
                "山田花子さんと山田　花子さん、山田 花子さん（やまだはなこ）。山田さん。李さん"
            ),
            "〇〇さんと〇〇さん、〇〇さん（〇〇）。山田さん。李さん"
        );
    }

    #[test]
    fn no_names_leave_the_text_as_it_is() {
        assert_eq!(Redactor::new([]).redact("保証人がいない"), "保証人がいない");
    }

    #[test]
    fn an_excerpt_is_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(excerpt("  一行目\n\n二行目  "), "一行目 二行目");
        let long = "あ".repeat(200);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS);
        assert!(e.ends_with('…'));
    }
}
