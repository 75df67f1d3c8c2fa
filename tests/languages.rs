//! The page's language over real HTTP: `?lang=` (remembered in a cookie), the cookie, `Accept-Language`,
//! English otherwise; `<html lang>` says which, and the whole page, error messages included, follows.
#![cfg(feature = "ssr")]

mod common;

use common::{browser, spawn_app, TestApp};
use credentials_flow::server::settings::Settings;

struct Page {
    html: String,
    set_cookie: Vec<String>,
    vary: String,
}

async fn get(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> Page {
    let mut request = client
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html");
    if let Some(value) = accept_language {
        request = request.header("accept-language", value);
    }
    let response = request.send().await.expect("page");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    let vary = response
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let html = response.text().await.expect("html");
    Page {
        html,
        set_cookie,
        vary,
    }
}

/// The `lang` attribute of `<html>`; fails when there is none or more than one.
fn html_lang(html: &str) -> String {
    let start = html.find("<html").expect("an <html> tag");
    let tag = &html[start..start + html[start..].find('>').expect("tag end")];
    assert_eq!(
        tag.matches(" lang=").count(),
        1,
        "one lang attribute: {tag}"
    );
    let value = &tag[tag.find(" lang=\"").expect("lang") + 7..];
    value[..value.find('"').expect("quote")].to_owned()
}

fn language_cookie(page: &Page) -> Option<&String> {
    page.set_cookie.iter().find(|c| c.starts_with("cf_lang="))
}

#[tokio::test]
async fn lang_in_the_query_draws_the_page_in_french_and_is_remembered() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();

    let page = get(
        &client,
        &app,
        "/connect/linkedin?lang=fr",
        Some("en-US,en;q=0.9"),
    )
    .await;
    assert_eq!(html_lang(&page.html), "fr");
    assert!(
        page.html.contains("Associer votre compte LinkedIn"),
        "{}",
        page.html
    );
    assert!(page.html.contains(">Mot de passe<"));
    assert!(!page.html.contains(">Password<"));
    let cookie = language_cookie(&page).expect("the choice is remembered");
    assert!(cookie.starts_with("cf_lang=fr;"), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("SameSite=Lax") && cookie.contains("HttpOnly")
    );
    assert!(page.vary.contains("Accept-Language"), "{}", page.vary);

    // The next page, without the parameter and with an English browser, stays French (the cookie).
    let picker = get(&client, &app, "/", Some("en-US,en;q=0.9")).await;
    assert_eq!(html_lang(&picker.html), "fr");
    assert!(picker.html.contains("Associer un compte"));
    assert!(
        language_cookie(&picker).is_none(),
        "set once, not on every page"
    );

    // Switching back works the same way.
    let back = get(&client, &app, "/?lang=en", None).await;
    assert_eq!(html_lang(&back.html), "en");
    assert!(back.html.contains("Connect an account"));
    assert!(language_cookie(&back)
        .expect("remembered")
        .starts_with("cf_lang=en;"));
}

#[tokio::test]
async fn without_a_choice_the_browser_language_decides_and_english_is_the_fallback() {
    let app = spawn_app(Settings::default()).await;

    let french = get(
        &browser(),
        &app,
        "/connect/imap",
        Some("fr-CA,fr;q=0.9,en;q=0.5"),
    )
    .await;
    assert_eq!(html_lang(&french.html), "fr");
    assert!(french.html.contains("Associer votre compte E-mail IMAP"));
    assert!(french.html.contains("Paramètres avancés"));
    assert!(
        language_cookie(&french).is_none(),
        "a browser preference is not stored"
    );

    let german = get(&browser(), &app, "/connect/imap", Some("de-DE,de;q=0.9")).await;
    assert_eq!(html_lang(&german.html), "en");
    assert!(german.html.contains("Connect your IMAP e-mail account"));

    let nothing = get(&browser(), &app, "/", None).await;
    assert_eq!(html_lang(&nothing.html), "en");

    // An unknown `lang` is ignored, not stored.
    let unknown = get(&browser(), &app, "/?lang=xx", Some("fr")).await;
    assert_eq!(html_lang(&unknown.html), "fr");
    assert!(language_cookie(&unknown).is_none());
}

#[tokio::test]
async fn refusals_and_field_errors_are_explained_in_the_chosen_language() {
    let app = spawn_app(Settings::default()).await;
    let client = browser();
    get(&client, &app, "/connect/linkedin?lang=fr", None).await;

    // A wrong password, posted as a browser without JavaScript would.
    let response = client
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/connect/linkedin", app.base))
        .form(&[
            ("provider", "linkedin"),
            ("method", "password"),
            ("username", "user_good"),
            ("password", "pass_wrong"),
            ("classic", "on"),
            ("premium", "none"),
        ])
        .send()
        .await
        .expect("post");
    assert!(response.status().is_redirection(), "{}", response.status());
    let back = response.headers()["location"].to_str().expect("ascii");
    let refused = get(&client, &app, back, None).await;
    assert!(
        refused
            .html
            .contains("LinkedIn n’a pas accepté cette connexion"),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("Vérifiez-les et réessayez."));

    // A field left empty: the message names the field in French.
    let response = client
        .post(format!("{}/api/start_auth_intent", app.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/connect/linkedin", app.base))
        .form(&[
            ("provider", "linkedin"),
            ("method", "password"),
            ("username", "user_good"),
        ])
        .send()
        .await
        .expect("post");
    let back = response.headers()["location"].to_str().expect("ascii");
    let missing = get(&client, &app, back, None).await;
    assert!(
        missing.html.contains("Mot de passe est obligatoire"),
        "{}",
        missing.html
    );
}

#[tokio::test]
async fn the_switcher_links_keep_the_page_and_its_parameters() {
    let app = spawn_app(Settings::default()).await;
    let page = get(
        &browser(),
        &app,
        "/connect/linkedin?method=cookie&state=abc",
        None,
    )
    .await;
    assert!(
        page.html
            .contains(r#"href="/connect/linkedin?method=cookie&amp;state=abc&amp;lang=fr""#),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"hreflang="fr" lang="fr""#));
    assert!(page.html.contains(">Français</a>"));
}
