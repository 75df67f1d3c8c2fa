use super::*;
use crate::i18n::Locale;

fn form(method: &str, fields: &[(&str, &str)]) -> SignInForm {
    SignInForm {
        method: method.to_owned(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..SignInForm::default()
    }
}

const ALL_OPTIONS: FormOptions = FormOptions {
    custom_proxy: true,
    products: true,
};

fn provider(id: &str) -> &'static Provider {
    find(id).expect("in the catalogue")
}

fn problems(
    result: Result<CheckedForm, (FormValues, Vec<FieldError>)>,
) -> Vec<(String, FieldProblem)> {
    match result {
        Ok(checked) => panic!("expected field errors, got {checked:?}"),
        Err((_, errors)) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
    }
}

#[test]
fn ids_are_unique_and_url_safe() {
    for (i, p) in PROVIDERS.iter().enumerate() {
        assert!(p.id.bytes().all(|b| b.is_ascii_lowercase()), "{}", p.id);
        assert!(
            PROVIDERS[i + 1..].iter().all(|q| q.id != p.id),
            "duplicate {}",
            p.id
        );
        assert_eq!(find(p.id), Some(p));
    }
    assert_eq!(find("myspace"), None);
}

#[test]
fn every_form_has_unique_named_fields_with_the_right_hints() {
    for p in PROVIDERS {
        assert!(!p.methods.is_empty(), "{}", p.id);
        for m in p.methods {
            assert_eq!(p.method(m.id), m);
            let names: Vec<_> = p.fields(m).map(|f| f.name).collect();
            for (i, name) in names.iter().enumerate() {
                assert!(!names[i + 1..].contains(name), "{} {}: {name}", p.id, m.id);
                assert!(
                    name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{name}"
                );
                assert!(
                    !["provider", "method", "account_id", "state"].contains(name),
                    "{name} is reserved"
                );
            }
            for f in p.fields(m) {
                if f.name == "username" {
                    assert_eq!(f.autocomplete, "username");
                }
                if f.name == "password" {
                    assert_eq!(
                        (f.input, f.autocomplete),
                        (Input::Secret, "current-password")
                    );
                }
                if f.check == Check::Token {
                    assert!(f.secret(), "cookies are secrets: {}", f.name);
                }
                assert!(f.max_len > 0);
                // Every label and help text reads in both languages, and differently where it is words.
                for locale in [Locale::en, Locale::fr] {
                    assert!(!f.label.get(locale).is_empty(), "{}", f.name);
                    assert!(
                        f.help.is_none_or(|h| !h.get(locale).is_empty()),
                        "{}",
                        f.name
                    );
                }
                if let Some(help) = f.help {
                    assert_ne!(help.get(Locale::en), help.get(Locale::fr), "{}", f.name);
                }
            }
        }
        // The first method is the default, and an unknown one falls back to it.
        assert_eq!(p.method("nonsense").id, p.methods[0].id);
    }
}

#[test]
fn missing_and_malformed_fields_are_named_and_nothing_secret_is_kept() {
    let imap = provider("imap");
    let errors = problems(
        form("", &[("username", "not-an-address"), ("password", "")]).check(imap, ALL_OPTIONS),
    );
    assert_eq!(
        errors,
        vec![
            ("username".to_owned(), FieldProblem::NotEmail),
            ("password".to_owned(), FieldProblem::Required),
        ]
    );

    let linkedin = provider("linkedin");
    let (kept, errors) = form(
        "password",
        &[
            ("username", "  someone@example.com "),
            ("password", "secret-pass"),
            ("proxy_host", "bad host!"),
            ("proxy_port", "70000"),
            ("proxy_password", "proxy-secret"),
        ],
    )
    .check(linkedin, ALL_OPTIONS)
    .expect_err("invalid proxy");
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.problem))
            .collect::<Vec<_>>(),
        vec![
            ("proxy_host", FieldProblem::NotHost),
            ("proxy_port", FieldProblem::NotPort)
        ]
    );
    assert_eq!(kept.get("username"), "someone@example.com");
    assert_eq!(kept.get("proxy_host"), "bad host!");
    let kept_text = format!("{kept:?}");
    for secret in ["secret-pass", "proxy-secret"] {
        assert!(!kept_text.contains(secret), "{kept_text}");
    }
    assert!(kept.values.keys().all(|k| !k.contains("password")));

    // A proxy needs host and port; a mail server section needs both servers.
    let errors = problems(
        form(
            "",
            &[
                ("username", "a@b.example"),
                ("password", "p"),
                ("proxy_username", "me"),
                ("imap_host", "imap.b.example"),
                ("imap_port", "993"),
            ],
        )
        .check(imap, ALL_OPTIONS),
    );
    for field in ["smtp_host", "smtp_port", "proxy_host", "proxy_port"] {
        assert!(
            errors.contains(&(field.to_owned(), FieldProblem::NeededWithOthers)),
            "{field}: {errors:?}"
        );
    }
    assert!(
        !errors.iter().any(|(f, _)| f == "imap_port"),
        "the port is filled: {errors:?}"
    );
}

#[test]
fn cookies_are_cleaned_and_checked() {
    let linkedin = provider("linkedin");
    let checked = form(
        "cookie",
        &[
            ("li_at", " li_at=\"AQEDAR-token_1\" "),
            ("user_agent", "Mozilla/5.0 (X11)"),
        ],
    )
    .check(linkedin, ALL_OPTIONS)
    .expect("valid");
    assert_eq!(checked.value("li_at"), Some("AQEDAR-token_1"));
    assert_eq!(checked.login_name(), None);
    let errors = problems(
        form("cookie", &[("li_at", "two words"), ("user_agent", "")]).check(linkedin, ALL_OPTIONS),
    );
    assert_eq!(
        errors,
        vec![
            ("li_at".to_owned(), FieldProblem::NotToken),
            ("user_agent".to_owned(), FieldProblem::Required),
        ]
    );
}

#[test]
fn hosts_ports_and_link_parameters() {
    for good in [
        "mail.example.com",
        "localhost",
        "10.0.0.1",
        "[::1]",
        "2001:db8::2",
        "xn--bcher-kva.example.",
    ] {
        assert!(is_host(good), "{good}");
    }
    for bad in [
        "",
        "-bad.example",
        "a..b",
        "under_score.example",
        "999.1.1.1",
        "exa mple.com",
        "[zz::1]",
    ] {
        assert!(!is_host(bad), "{bad}");
    }
    let port = |v: &str| problem(&PROXY_FIELDS[1], v);
    assert_eq!(port("8080"), None);
    for bad in ["0", "65536", "80a", "-1", "123456"] {
        assert!(port(bad).is_some(), "{bad}");
    }
    assert!(valid_account_id("acc_Ab-9_x"));
    for bad in ["acc_", "account_1", "acc_a/b", "acc_ a"] {
        assert!(!valid_account_id(bad), "{bad}");
    }
    assert_eq!(link_params("", ""), Ok((None, None)));
    assert_eq!(
        link_params("acc_1", "user 42"),
        Ok((Some("acc_1".to_owned()), Some("user 42".to_owned())))
    );
    assert_eq!(link_params("nope", ""), Err(LinkProblem::AccountId));
    assert_eq!(
        link_params("", &"s".repeat(MAX_STATE_LEN + 1)),
        Err(LinkProblem::State)
    );
    assert_eq!(link_params("", "a\nb"), Err(LinkProblem::State));
    assert_eq!(
        page_url(
            "linkedin",
            &[
                ("method", Some("cookie")),
                ("state", Some("a b&c")),
                ("account_id", None)
            ]
        ),
        "/connect/linkedin?method=cookie&state=a%20b%26c"
    );
}

#[test]
fn a_return_address_outside_the_allowed_origins_is_refused_as_such() {
    let allowed = ["https://app.example.com".to_owned()];
    assert_eq!(
        redirect_params(
            "https://app.example.com/done?x=1",
            " https://app.example.com/failed ",
            &allowed
        ),
        Ok((
            Some("https://app.example.com/done?x=1".to_owned()),
            Some("https://app.example.com/failed".to_owned())
        ))
    );
    assert_eq!(redirect_params("", "", &allowed), Ok((None, None)));
    // The origin is the one a browser sees: the default port is no other origin.
    assert!(redirect_params("https://app.example.com:443/done", "", &allowed).is_ok());
    for refused in [
        "https://elsewhere.example/",
        "https://app.example.com.evil.test/",
        "http://app.example.com/",
        "javascript:alert(1)",
        "https://app.example.com/#top",
        // A browser would open elsewhere.example: `\` ends the host as `/` does.
        "https://elsewhere.example\\@app.example.com/",
        "https://user@app.example.com/",
    ] {
        for (success, failure) in [(refused, ""), ("", refused)] {
            assert_eq!(
                redirect_params(success, failure, &allowed),
                Err(LinkProblem::RedirectUrl),
                "{refused}"
            );
        }
    }
    assert_eq!(
        LinkProblem::RedirectUrl.code(),
        ErrorCode::RedirectNotAllowed
    );
    assert_eq!(LinkProblem::AccountId.code(), ErrorCode::InvalidLink);
    assert_eq!(LinkProblem::State.code(), ErrorCode::InvalidLink);
    assert_eq!(
        ErrorCode::RedirectNotAllowed.message(Locale::en, "LinkedIn"),
        "This return address is not allowed for this application."
    );
}

#[test]
fn debug_output_never_shows_values() {
    let f = form(
        "password",
        &[("username", "u"), ("password", "hunter2-secret")],
    );
    assert!(!format!("{f:?}").contains("hunter2-secret"));
    let checked = f.check(provider("linkedin"), ALL_OPTIONS).expect("valid");
    assert!(!format!("{checked:?}").contains("hunter2-secret"));
}

#[cfg(feature = "ssr")]
mod bodies {
    use super::*;
    use serde_json::{json, Value};

    fn body(provider_id: &str, options: FormOptions, f: SignInForm) -> Value {
        let p = provider(provider_id);
        let checked = f.check(p, options).expect("valid form");
        serde_json::to_value(checked.intent(p.default_unipile_id.to_owned())).expect("json")
    }

    const NO_OPTIONS: FormOptions = FormOptions {
        custom_proxy: false,
        products: false,
    };

    #[test]
    fn each_password_method_sends_username_and_password_only() {
        for (id, unipile) in [
            ("linkedin", "linkedin"),
            ("instagram", "instagram"),
            ("messenger", "messenger"),
            ("x", "twitter"),
        ] {
            let sent = body(
                id,
                NO_OPTIONS,
                form(
                    "password",
                    &[("username", " user_good "), ("password", " pass good ")],
                ),
            );
            assert_eq!(
                sent,
                json!({"provider": unipile, "credentials": {"username": "user_good", "password": " pass good "}}),
                "{id}"
            );
        }
    }

    #[test]
    fn linkedin_cookies_products_proxy_reconnect_and_state() {
        let mut f = form(
            "cookie",
            &[
                ("li_at", "AT"),
                ("li_a", "PREMIUM"),
                ("user_agent", "Mozilla/5.0 (X11; Linux)"),
                ("classic", "on"),
                ("premium", "sales_navigator"),
                ("proxy_host", "proxy.example.com"),
                ("proxy_port", "1080"),
                ("proxy_protocol", "socks5"),
                ("proxy_username", "pu"),
                ("proxy_password", "pp"),
            ],
        );
        f.account_id = "acc_42".into();
        f.state = "host-state".into();
        assert_eq!(
            body("linkedin", ALL_OPTIONS, f.clone()),
            json!({
                "provider": "linkedin", "account_id": "acc_42", "state": "host-state",
                "credentials": {"access_token": "AT", "premium_access_token": "PREMIUM", "user_agent": "Mozilla/5.0 (X11; Linux)"},
                "config": {
                    "products": ["classic", "sales_navigator"],
                    "custom_proxy": {"host": "proxy.example.com", "port": 1080, "protocol": "socks5", "username": "pu", "password": "pp"}
                }
            })
        );
        // Sections the deployment does not offer are not sent, whatever was posted.
        let mut plain = body("linkedin", NO_OPTIONS, f);
        assert_eq!(plain.get("config"), None, "{plain}");
        plain["credentials"]
            .as_object_mut()
            .map(|c| c.remove("premium_access_token"));
        assert_eq!(plain["credentials"]["access_token"], "AT");
        // Products: classic unticked and no premium sends none.
        let sent = body(
            "linkedin",
            ALL_OPTIONS,
            form(
                "password",
                &[("username", "u"), ("password", "p"), ("premium", "none")],
            ),
        );
        assert_eq!(sent.get("config"), None, "{sent}");
        let errors = problems(
            form(
                "password",
                &[("username", "u"), ("password", "p"), ("premium", "both")],
            )
            .check(provider("linkedin"), ALL_OPTIONS),
        );
        assert_eq!(
            errors,
            vec![("premium".to_owned(), FieldProblem::NotAChoice)]
        );
    }

    #[test]
    fn instagram_session_cookie() {
        assert_eq!(
            body(
                "instagram",
                ALL_OPTIONS,
                form("cookie", &[("sessionid", "123%3Aabc")])
            ),
            json!({"provider": "instagram", "credentials": {"sessionid": "123%3Aabc"}})
        );
    }

    #[test]
    fn imap_detected_or_with_explicit_servers() {
        assert_eq!(
            body(
                "imap",
                ALL_OPTIONS,
                form(
                    "",
                    &[
                        ("username", "me@example.com"),
                        ("password", "pw"),
                        ("imap_port", "993"),
                        ("smtp_port", "587")
                    ]
                )
            ),
            json!({"provider": "imap", "credentials": {"user": "me@example.com", "password": "pw"}})
        );
        assert_eq!(
            body(
                "imap",
                ALL_OPTIONS,
                form(
                    "",
                    &[
                        ("username", "me@example.com"),
                        ("password", "pw"),
                        ("imap_host", "imap.example.com"),
                        ("imap_port", "993"),
                        ("imap_encryption", "ssl"),
                        ("smtp_host", "smtp.example.com"),
                        ("smtp_port", "587"),
                        ("smtp_encryption", "default"),
                        ("smtp_user", "relay-user"),
                        ("smtp_password", "relay-pw"),
                        ("proxy_host", "10.0.0.2"),
                        ("proxy_port", "3128"),
                    ]
                )
            ),
            json!({
                "provider": "imap",
                "credentials": {
                    "imap": {"user": "me@example.com", "password": "pw", "host": "imap.example.com", "port": 993, "encryption": "ssl"},
                    "smtp": {"user": "relay-user", "password": "relay-pw", "host": "smtp.example.com", "port": 587}
                },
                "config": {"custom_proxy": {"host": "10.0.0.2", "port": 3128}, "initial_sync_enable": true}
            })
        );
    }
}
