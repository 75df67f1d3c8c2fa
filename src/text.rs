//! Words on the page, in the reader's language. The strings live in `locales/{en,fr}.json`; `crate::i18n`
//! is generated from them at compile time, so a key used here and missing from every file does not build,
//! and `tests::both_languages_have_every_key` fails when one file lacks a key the other has.
//!
//! Texts that sit in const tables (the provider catalogue) are [`Text`]s: a function from the locale to the
//! string, so the table stays one table for both languages. Placeholders are `{name}`, filled by [`fill`].

use crate::i18n::Locale;
use leptos_i18n::Locale as _;
use std::fmt;

/// A translated string, looked up when it is shown.
#[derive(Clone, Copy)]
pub struct Text(pub fn(Locale) -> &'static str);

impl Text {
    pub fn get(self, locale: Locale) -> &'static str {
        (self.0)(locale)
    }

    /// The English text, for logs, tests and `Debug`.
    pub fn en(self) -> &'static str {
        self.get(Locale::en)
    }
}

/// Two texts are the same text when they say the same thing in English.
impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.en() == other.en()
    }
}

impl Eq for Text {}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.en(), f)
    }
}

/// A [`Text`] for a key of the locale files: `tx!(fields.password)`.
#[macro_export]
macro_rules! tx {
    ($($key:tt)+) => {
        $crate::text::Text(|locale| leptos_i18n::td_string!(locale, $($key)+))
    };
}

/// A [`Text`] that reads the same in every language (brand names, protocol names).
#[macro_export]
macro_rules! same {
    ($s:literal) => {
        $crate::text::Text(|_| $s)
    };
}

/// Replaces each `{name}` in `template` with its value.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The page's locale, as the i18n context has it (set once per page load).
pub fn locale() -> Locale {
    crate::i18n::use_i18n().get_locale_untracked()
}

/// Our language codes, in the order the switcher shows them, with each one's own name.
pub const LANGUAGES: &[(Locale, &str)] = &[(Locale::en, "English"), (Locale::fr, "Français")];

/// The supported locale `tag` names (`fr`, `fr-CA`, `FR`), if any.
pub fn parse(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    LANGUAGES
        .iter()
        .map(|(l, _)| *l)
        .find(|l| l.as_str() == primary)
}

/// The best supported locale for an `Accept-Language` header, honouring q-values; `None` when nothing
/// offered is supported.
pub fn negotiate(accept_language: &str) -> Option<Locale> {
    let mut offers: Vec<(f32, usize, Locale)> = accept_language
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let locale = parse(pieces.next()?)?;
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, i, locale))
        })
        .collect();
    offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    offers.first().map(|(_, _, l)| *l)
}

#[cfg(test)]
mod tests;
