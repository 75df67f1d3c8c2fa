//! Request-body validation. Every failure is a 400 `api/invalid_parameters` whose `detail`
//! names the offending field, so client bugs are easy to find.

use serde_json::{Map, Value};

use crate::failure::Failure;

pub(crate) const PASSWORD_GOOD: &str = "pass_good";
pub(crate) const COOKIE_GOOD: &str = "cookie_good";
/// Cookie logins carry no username; they play the plain success scenario.
const COOKIE_SCENARIO_USER: &str = "user_good";

const PROVIDERS: &[&str] = &["linkedin", "instagram", "imap", "messenger", "twitter"];
const PRODUCTS: &[&str] = &["classic", "recruiter", "sales_navigator", "company"];
const PROXY_PROTOCOLS: &[&str] = &["https", "http", "socks5", "socks4"];
const ENCRYPTIONS: &[&str] = &["tls", "ssl", "starttls", "default"];

/// A valid Start Auth Intent body, reduced to what the scenarios need.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IntentRequest {
    pub(crate) provider: String,
    pub(crate) account_id: Option<String>,
    /// Username (or IMAP user) that names the scenario and the account.
    pub(crate) user: String,
    /// Whether the password(s) or cookie are the magic good ones.
    pub(crate) secret_ok: bool,
    /// IMAP with `{user, password}` only: the servers are to be detected.
    pub(crate) autodetect: bool,
    pub(crate) proxy: Option<ProxyRequest>,
}

/// The custom proxy asked for, as far as the sandbox's proxy scenarios need it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProxyRequest {
    pub(crate) host: String,
    /// Whether a username was given, and with the good password.
    pub(crate) login: Option<bool>,
}

pub(crate) fn intent(body: &Value) -> Result<IntentRequest, Failure> {
    let root = as_object(body, "body")?;
    only_keys(
        root,
        "",
        &[
            "provider",
            "account_id",
            "state",
            "user_timezone",
            "account_scope_id",
            "credentials",
            "config",
        ],
    )?;
    let provider = required_str(root, "", "provider")?;
    if !PROVIDERS.contains(&provider) {
        return Err(Failure::invalid(format!(
            "`provider` must be one of {}; got {provider:?}",
            PROVIDERS.join(", ")
        )));
    }
    let account_id = optional_str(root, "", "account_id")?;
    if let Some(id) = account_id {
        acc_pattern(id, "account_id")?;
    }
    optional_str(root, "", "state")?;
    optional_str(root, "", "user_timezone")?;
    optional_str(root, "", "account_scope_id")?;
    let proxy = match root.get("config") {
        Some(config) => validate_config(as_object(config, "config")?)?,
        None => None,
    };
    let credentials = root
        .get("credentials")
        .ok_or_else(|| Failure::invalid("`credentials` is required"))?;
    let credentials = as_object(credentials, "credentials")?;
    let (user, secret_ok) = login(provider, credentials)?;
    Ok(IntentRequest {
        provider: provider.to_owned(),
        account_id: account_id.map(str::to_owned),
        user,
        secret_ok,
        autodetect: provider == "imap" && credentials.contains_key("user"),
        proxy,
    })
}

/// Checks the credential shape allowed for `provider` and returns (scenario user, secret ok).
fn login(provider: &str, c: &Map<String, Value>) -> Result<(String, bool), Failure> {
    const P: &str = "credentials.";
    let cookie = |field: &str, allowed: &[&str]| -> Result<(String, bool), Failure> {
        only_keys(c, P, allowed)?;
        let token = required_str(c, P, field)?;
        Ok((COOKIE_SCENARIO_USER.to_owned(), token == COOKIE_GOOD))
    };
    let basic = || -> Result<(String, bool), Failure> {
        only_keys(c, P, &["username", "password", "user_agent"])?;
        let username = required_str(c, P, "username")?;
        let password = required_str(c, P, "password")?;
        optional_str(c, P, "user_agent")?;
        Ok((username.to_owned(), password == PASSWORD_GOOD))
    };
    match provider {
        "linkedin" if c.contains_key("access_token") => {
            required_str(c, P, "user_agent")?;
            optional_str(c, P, "premium_access_token")?;
            cookie(
                "access_token",
                &["access_token", "premium_access_token", "user_agent"],
            )
        }
        "instagram" if c.contains_key("sessionid") => cookie("sessionid", &["sessionid"]),
        "imap" if c.contains_key("imap") || c.contains_key("smtp") => {
            only_keys(c, P, &["imap", "smtp"])?;
            let (user, imap_ok) = mail_server(c, "imap")?;
            let (_, smtp_ok) = mail_server(c, "smtp")?;
            Ok((user, imap_ok && smtp_ok))
        }
        "imap" => {
            only_keys(c, P, &["user", "password"])?;
            let user = required_str(c, P, "user")?;
            let password = required_str(c, P, "password")?;
            Ok((user.to_owned(), password == PASSWORD_GOOD))
        }
        _ => basic(),
    }
}

fn mail_server(c: &Map<String, Value>, name: &str) -> Result<(String, bool), Failure> {
    let path = format!("credentials.{name}");
    let server = c
        .get(name)
        .ok_or_else(|| Failure::invalid(format!("`{path}` is required")))?;
    let server = as_object(server, &path)?;
    let prefix = format!("{path}.");
    only_keys(
        server,
        &prefix,
        &["user", "password", "host", "port", "encryption"],
    )?;
    let user = required_str(server, &prefix, "user")?;
    let password = required_str(server, &prefix, "password")?;
    required_str(server, &prefix, "host")?;
    port(server, &prefix)?;
    if let Some(encryption) = optional_str(server, &prefix, "encryption")? {
        one_of(encryption, ENCRYPTIONS, &format!("{prefix}encryption"))?;
    }
    Ok((user.to_owned(), password == PASSWORD_GOOD))
}

fn validate_config(config: &Map<String, Value>) -> Result<Option<ProxyRequest>, Failure> {
    const P: &str = "config.";
    let mut asked = None;
    if let Some(proxy) = config.get("custom_proxy") {
        let proxy = as_object(proxy, "config.custom_proxy")?;
        const PP: &str = "config.custom_proxy.";
        only_keys(
            proxy,
            PP,
            &["host", "port", "protocol", "username", "password"],
        )?;
        let host = required_str(proxy, PP, "host")?;
        port(proxy, PP)?;
        if let Some(protocol) = optional_str(proxy, PP, "protocol")? {
            one_of(protocol, PROXY_PROTOCOLS, "config.custom_proxy.protocol")?;
        }
        let username = optional_str(proxy, PP, "username")?;
        let password = optional_str(proxy, PP, "password")?;
        asked = Some(ProxyRequest {
            host: host.to_owned(),
            login: username.map(|_| password == Some(PASSWORD_GOOD)),
        });
    }
    if let Some(products) = config.get("products") {
        let products = products
            .as_array()
            .ok_or_else(|| Failure::invalid("`config.products` must be an array"))?;
        for product in products {
            let product = product
                .as_str()
                .ok_or_else(|| Failure::invalid("`config.products` must contain strings"))?;
            one_of(product, PRODUCTS, "config.products")?;
        }
        let has = |p: &str| products.iter().any(|v| v.as_str() == Some(p));
        if has("recruiter") && has("sales_navigator") {
            return Err(Failure::invalid(
                "`config.products` cannot hold both recruiter and sales_navigator",
            ));
        }
    }
    if config
        .get("initial_sync_enable")
        .is_some_and(|v| !v.is_boolean())
    {
        return Err(Failure::invalid(format!(
            "`{P}initial_sync_enable` must be a boolean"
        )));
    }
    Ok(asked)
}

/// `{intent_id, code}` of Solve a Checkpoint.
pub(crate) fn solve(body: &Value) -> Result<(String, String), Failure> {
    let root = as_object(body, "body")?;
    only_keys(root, "", &["intent_id", "code"])?;
    let intent_id = intent_id(root)?;
    let code = required_str(root, "", "code")?;
    Ok((intent_id, code.to_owned()))
}

/// `{intent_id, challenge?}` of Request a Checkpoint.
pub(crate) fn request(body: &Value) -> Result<(String, Option<String>), Failure> {
    let root = as_object(body, "body")?;
    only_keys(root, "", &["intent_id", "challenge"])?;
    let intent_id = intent_id(root)?;
    let challenge = optional_str(root, "", "challenge")?.map(str::to_owned);
    Ok((intent_id, challenge))
}

/// `{intent_id}` of Resend.
pub(crate) fn resend(body: &Value) -> Result<String, Failure> {
    let root = as_object(body, "body")?;
    only_keys(root, "", &["intent_id"])?;
    intent_id(root)
}

/// The `code` of a PHONE_REGISTER: `(+CC)NATIONAL`, e.g. `(+44)7700900123`, with a country code that
/// exists and the national number as dialled from abroad, so without its trunk prefix: `(+44)07700900123`
/// is refused (the emulator does not judge whether the number is assigned).
pub(crate) fn phone(code: &str) -> Result<(), Failure> {
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let Some((country, national)) = code
        .strip_prefix("(+")
        .and_then(|rest| rest.split_once(')'))
        .filter(|(country, national)| digits(country, 1, 3) && digits(national, 4, 15))
    else {
        return Err(Failure::invalid(
            "`code` must be a phone number with its country code in brackets, e.g. (+33)612345678",
        ));
    };
    let unknown = || Failure::invalid(format!("`code`: +{country} is not a country calling code"));
    let code: u16 = country.parse().map_err(|_| unknown())?;
    let regions = phonenumber::metadata::DATABASE
        .by_code(&code)
        .ok_or_else(unknown)?;
    let Some(region) = regions
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(regions.first())
        .and_then(|m| m.id().parse::<phonenumber::country::Id>().ok())
    else {
        return Err(unknown());
    };
    match phonenumber::parse(Some(region), national) {
        Ok(parsed) if parsed.national().to_string() != national => Err(Failure::invalid(format!(
            "`code` keeps a prefix dialled only from inside the country: send (+{country}){}, not (+{country}){national}",
            parsed.national()
        ))),
        _ => Ok(()),
    }
}

fn intent_id(root: &Map<String, Value>) -> Result<String, Failure> {
    let id = required_str(root, "", "intent_id")?;
    acc_pattern(id, "intent_id")?;
    Ok(id.to_owned())
}

fn acc_pattern(id: &str, field: &str) -> Result<(), Failure> {
    if id.starts_with("acc_") {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "`{field}` must match ^acc_(.*)$; got {id:?}"
        )))
    }
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Failure> {
    value
        .as_object()
        .ok_or_else(|| Failure::invalid(format!("`{path}` must be a JSON object")))
}

fn only_keys(object: &Map<String, Value>, prefix: &str, allowed: &[&str]) -> Result<(), Failure> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(Failure::invalid(format!(
            "`{prefix}{key}` is not allowed here"
        ))),
        None => Ok(()),
    }
}

fn required_str<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    field: &str,
) -> Result<&'a str, Failure> {
    optional_str(object, prefix, field)?
        .ok_or_else(|| Failure::invalid(format!("`{prefix}{field}` is required")))
}

fn optional_str<'a>(
    object: &'a Map<String, Value>,
    prefix: &str,
    field: &str,
) -> Result<Option<&'a str>, Failure> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Failure::invalid(format!(
            "`{prefix}{field}` must be a string"
        ))),
    }
}

fn port(object: &Map<String, Value>, prefix: &str) -> Result<u16, Failure> {
    let invalid = || Failure::invalid(format!("`{prefix}port` must be an integer from 1 to 65535"));
    let port = object.get("port").ok_or_else(invalid)?;
    port.as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0)
        .ok_or_else(invalid)
}

fn one_of(value: &str, allowed: &[&str], path: &str) -> Result<(), Failure> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Failure::invalid(format!(
            "`{path}` must be one of {}; got {value:?}",
            allowed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::INVALID_PARAMETERS;
    use serde_json::json;

    fn rejected(body: Value) -> String {
        match intent(&body) {
            Ok(ok) => panic!("accepted: {ok:?}"),
            Err(failure) => {
                assert_eq!(failure.kind(), INVALID_PARAMETERS);
                failure.detail().to_owned()
            }
        }
    }

    #[test]
    fn phone_codes_are_international_numbers_without_a_trunk_prefix() {
        for good in [
            "(+33)612345678",
            "(+44)7700900123",
            "(+1)2015550123",
            // In Italy the leading zero belongs to the number.
            "(+39)0612345678",
        ] {
            assert!(phone(good).is_ok(), "{good}");
        }
        for (bad, says) in [
            (
                "(+44)07700900123",
                "send (+44)7700900123, not (+44)07700900123",
            ),
            ("(+33)0612345678", "send (+33)612345678"),
            ("(+1)12015550123", "send (+1)2015550123"),
            ("(+999)612345678", "+999 is not a country calling code"),
            ("", "in brackets"),
            ("+33612345678", "in brackets"),
            ("(33)612345678", "in brackets"),
            ("(+)612345678", "in brackets"),
            ("(+1234)612345678", "in brackets"),
            ("(+33)123", "in brackets"),
            ("(+33)6123456789012345", "in brackets"),
            ("(+33)61234567a", "in brackets"),
            ("(+33) 612345678", "in brackets"),
        ] {
            match phone(bad) {
                Ok(()) => panic!("{bad} accepted"),
                Err(failure) => {
                    assert_eq!(failure.kind(), INVALID_PARAMETERS);
                    assert!(
                        failure.detail().contains(says),
                        "{bad}: {}",
                        failure.detail()
                    );
                }
            }
        }
    }

    #[test]
    fn accepts_every_credential_shape() {
        let cases = [
            json!({"provider": "linkedin", "credentials": {"username": "user_2fa_sms", "password": "pass_good", "user_agent": "UA"}}),
            json!({"provider": "linkedin", "credentials": {"access_token": "cookie_good", "premium_access_token": "x", "user_agent": "UA"}}),
            json!({"provider": "instagram", "credentials": {"sessionid": "cookie_good"}}),
            json!({"provider": "imap", "credentials": {"user": "a@b.c", "password": "pass_good"}}),
            json!({"provider": "imap", "credentials": {
                "imap": {"user": "a@b.c", "password": "pass_good", "host": "imap.b.c", "port": 993, "encryption": "ssl"},
                "smtp": {"user": "a@b.c", "password": "pass_good", "host": "smtp.b.c", "port": 465}}}),
            json!({"provider": "messenger", "credentials": {"username": "u", "password": "pass_good"}}),
            json!({"provider": "twitter", "account_id": "acc_1", "state": "s", "credentials": {"username": "u", "password": "pass_good"},
                   "config": {"custom_proxy": {"host": "p", "port": 8080, "protocol": "socks5"}, "products": ["classic"]}}),
        ];
        for body in cases {
            match intent(&body) {
                Ok(request) => assert!(request.secret_ok, "{body}"),
                Err(failure) => panic!("{body} rejected: {}", failure.detail()),
            }
        }
    }

    #[test]
    fn imap_full_needs_both_good_passwords() {
        let body = json!({"provider": "imap", "credentials": {
            "imap": {"user": "a@b.c", "password": "pass_good", "host": "h", "port": 993},
            "smtp": {"user": "a@b.c", "password": "nope", "host": "h", "port": 465}}});
        assert!(matches!(intent(&body), Ok(r) if !r.secret_ok && r.user == "a@b.c"));
    }

    #[test]
    fn names_the_bad_field() {
        let cases = [
            (json!([]), "`body`"),
            (json!({"credentials": {}}), "`provider`"),
            (
                json!({"provider": "myspace", "credentials": {}}),
                "`provider`",
            ),
            (json!({"provider": "linkedin"}), "`credentials`"),
            (
                json!({"provider": "linkedin", "credentials": {"username": "u"}}),
                "`credentials.password`",
            ),
            (
                json!({"provider": "linkedin", "credentials": {"sessionid": "x"}}),
                "`credentials.sessionid`",
            ),
            (
                json!({"provider": "linkedin", "credentials": {"access_token": "x"}}),
                "`credentials.user_agent`",
            ),
            (
                json!({"provider": "instagram", "credentials": {"user": "u", "password": "p"}}),
                "`credentials.user`",
            ),
            (
                json!({"provider": "imap", "credentials": {"username": "u", "password": "p"}}),
                "`credentials.username`",
            ),
            (
                json!({"provider": "imap", "credentials": {"imap": {"user": "u", "password": "p", "host": "h", "port": 993}}}),
                "`credentials.smtp`",
            ),
            (
                json!({"provider": "imap", "credentials": {
                "imap": {"user": "u", "password": "p", "host": "h", "port": 0},
                "smtp": {"user": "u", "password": "p", "host": "h", "port": 1}}}),
                "`credentials.imap.port`",
            ),
            (
                json!({"provider": "linkedin", "account_id": "123", "credentials": {"username": "u", "password": "p"}}),
                "`account_id`",
            ),
            (
                json!({"provider": "linkedin", "credentials": {"username": "u", "password": "p"},
                    "config": {"custom_proxy": {"host": "h", "port": 1, "protocol": "ftp"}}}),
                "`config.custom_proxy.protocol`",
            ),
            (
                json!({"provider": "linkedin", "credentials": {"username": "u", "password": "p"},
                    "config": {"custom_proxy": {"host": "h", "port": 70000}}}),
                "`config.custom_proxy.port`",
            ),
            (
                json!({"provider": "linkedin", "credentials": {"username": "u", "password": "p"},
                    "config": {"products": ["recruiter", "sales_navigator"]}}),
                "`config.products`",
            ),
        ];
        for (body, field) in cases {
            let detail = rejected(body.clone());
            assert!(detail.contains(field), "{body}: {detail}");
        }
    }

    #[test]
    fn checkpoint_bodies() {
        assert!(
            matches!(solve(&json!({"intent_id": "acc_1", "code": ""})), Ok((id, code)) if id == "acc_1" && code.is_empty())
        );
        assert!(solve(&json!({"intent_id": "xyz", "code": "1"}))
            .is_err_and(|f| f.detail().contains("`intent_id`")));
        assert!(solve(&json!({"intent_id": "acc_1"})).is_err_and(|f| f.detail().contains("`code`")));
        assert!(
            matches!(request(&json!({"intent_id": "acc_1", "challenge": "SMS"})), Ok((_, Some(c))) if c == "SMS")
        );
        assert!(matches!(resend(&json!({"intent_id": "acc_1"})), Ok(id) if id == "acc_1"));
        assert!(resend(&json!({"intent_id": 5})).is_err());
    }
}
