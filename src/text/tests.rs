use super::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every leaf key of a locale file, with the placeholders its text uses.
fn leaves(value: &Value, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(v, &format!("{prefix}{k}."), out);
            }
        }
        Value::String(s) => {
            let mut names: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            names.sort();
            out.insert(prefix.trim_end_matches('.').to_owned(), names);
        }
        other => panic!("{prefix}: a text must be a string, found {other}"),
    }
}

fn load(locale: &str) -> BTreeMap<String, Vec<String>> {
    let path = format!("{}/locales/{locale}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = BTreeMap::new();
    leaves(&value, "", &mut out);
    out
}

#[test]
fn both_languages_have_every_key() {
    let (en, fr) = (load("en"), load("fr"));
    let missing_fr: Vec<_> = en.keys().filter(|k| !fr.contains_key(*k)).collect();
    let missing_en: Vec<_> = fr.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(missing_fr.is_empty(), "missing in fr.json: {missing_fr:?}");
    assert!(missing_en.is_empty(), "missing in en.json: {missing_en:?}");
    for (key, names) in &en {
        assert_eq!(
            names, &fr[key],
            "{key}: the placeholders differ between en.json and fr.json"
        );
    }
    for (key, text) in load_texts("fr") {
        assert!(!text.trim().is_empty(), "fr.json: {key} is empty");
    }
}

fn load_texts(locale: &str) -> Vec<(String, String)> {
    fn walk(v: &Value, p: &str, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(v, &format!("{p}{k}."), out)),
            Value::String(s) => out.push((p.to_owned(), s.clone())),
            _ => {}
        }
    }
    let path = format!("{}/locales/{locale}.json", env!("CARGO_MANIFEST_DIR"));
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    walk(&value, "", &mut out);
    out
}

#[test]
fn the_generated_texts_follow_the_files() {
    assert_eq!(tx!(fields.password).get(Locale::en), "Password");
    assert_eq!(tx!(fields.password).get(Locale::fr), "Mot de passe");
    assert_eq!(same!("SSL").get(Locale::fr), "SSL");
}

#[test]
fn placeholders_are_filled() {
    assert_eq!(
        fill(
            "Sign in to {provider} with {provider}.",
            &[("provider", "X")]
        ),
        "Sign in to X with X."
    );
}

#[test]
fn accept_language_picks_the_best_supported_language() {
    assert_eq!(negotiate("fr-CA,fr;q=0.9,en;q=0.8"), Some(Locale::fr));
    assert_eq!(
        negotiate("de-DE,de;q=0.9,fr;q=0.5,en;q=0.7"),
        Some(Locale::en)
    );
    assert_eq!(negotiate("en;q=0.2, FR"), Some(Locale::fr));
    assert_eq!(negotiate("de, it"), None);
    assert_eq!(negotiate("fr;q=0, en"), Some(Locale::en));
    assert_eq!(negotiate(""), None);
    assert_eq!(parse("fr_FR"), Some(Locale::fr));
    assert_eq!(parse("frr"), None);
}
