//! Response bodies of the auth endpoints. Unknown fields are ignored and unknown `object` /
//! checkpoint `type` values are kept as `Unknown`, because the API adds them between versions.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::borrow::Cow;

use crate::wire_enum::wire_enum;

/// What `POST /v2/auth/intent`, `/v2/auth/checkpoint` and `/v2/auth/checkpoint/request` answer,
/// discriminated by the top-level `object`.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthResult {
    /// `"Account"`: the account is linked.
    Account(Account),
    /// `"AuthenticationCheckpoint"`: one more step is needed.
    Checkpoint {
        intent_id: String,
        checkpoint: Checkpoint,
    },
    /// `"AuthenticationQrCode"` (WhatsApp / Telegram, not part of the credentials flow).
    QrCode { intent_id: String, qrcode: String },
    /// `"OauthUrl"` (Google / Outlook, not part of the credentials flow).
    OauthUrl { url: String },
    /// Any other `object`.
    Unknown { object: String },
}

/// A linked account, as much of it as the flow needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub provider: String,
    /// `running`, `errored`, `disconnected`, `degraded`, `partial`… kept as text.
    pub status: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Serialize)]
struct Tagged<'a, T> {
    object: &'a str,
    #[serde(flatten)]
    body: T,
}

/// An answer's `object`, read in place: the first pass over an answer reads nothing else.
#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow)]
    object: Cow<'a, str>,
}

/// A checkpoint's `type`, read the same way.
#[derive(Deserialize)]
struct Type<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
}

impl AuthResult {
    /// Reads an answer from its JSON text: a first pass finds `object`, a second reads the body
    /// of that kind straight into its fields, with no tree of values in between.
    pub(crate) fn from_json(text: &str) -> serde_json::Result<AuthResult> {
        #[derive(Deserialize)]
        struct CheckpointBody<'a> {
            intent_id: String,
            #[serde(borrow)]
            checkpoint: &'a RawValue,
        }
        #[derive(Deserialize)]
        struct QrCodeBody {
            intent_id: String,
            qrcode: String,
        }
        #[derive(Deserialize)]
        struct OauthUrlBody {
            url: String,
        }
        let Object { object } = serde_json::from_str(text)?;
        Ok(match &*object {
            "Account" => AuthResult::Account(serde_json::from_str(text)?),
            "AuthenticationCheckpoint" => {
                let body: CheckpointBody = serde_json::from_str(text)?;
                AuthResult::Checkpoint {
                    intent_id: body.intent_id,
                    checkpoint: Checkpoint::from_json(body.checkpoint.get())?,
                }
            }
            "AuthenticationQrCode" => {
                let body: QrCodeBody = serde_json::from_str(text)?;
                AuthResult::QrCode {
                    intent_id: body.intent_id,
                    qrcode: body.qrcode,
                }
            }
            "OauthUrl" => AuthResult::OauthUrl {
                url: serde_json::from_str::<OauthUrlBody>(text)?.url,
            },
            _ => AuthResult::Unknown {
                object: object.into_owned(),
            },
        })
    }
}

/// From JSON text only (`serde_json::from_str`, `from_slice`, `from_reader`), as Unipile answers.
impl<'de> Deserialize<'de> for AuthResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        AuthResult::from_json(raw.get()).map_err(D::Error::custom)
    }
}

impl Serialize for AuthResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AuthResult::Account(account) => Tagged {
                object: "Account",
                body: account,
            }
            .serialize(serializer),
            AuthResult::Checkpoint {
                intent_id,
                checkpoint,
            } => Tagged {
                object: "AuthenticationCheckpoint",
                body: serde_json::json!({ "intent_id": intent_id, "checkpoint": checkpoint }),
            }
            .serialize(serializer),
            AuthResult::QrCode { intent_id, qrcode } => Tagged {
                object: "AuthenticationQrCode",
                body: serde_json::json!({ "intent_id": intent_id, "qrcode": qrcode }),
            }
            .serialize(serializer),
            AuthResult::OauthUrl { url } => Tagged {
                object: "OauthUrl",
                body: serde_json::json!({ "url": url }),
            }
            .serialize(serializer),
            AuthResult::Unknown { object } => Tagged {
                object,
                body: serde_json::json!({}),
            }
            .serialize(serializer),
        }
    }
}

/// The step the user must complete, discriminated by `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    /// `"2FA"`: a code from an authenticator app, or received by SMS / WhatsApp.
    TwoFactor { platform: TwoFactorPlatform },
    /// `"OTP"`: a one-time password sent by e-mail, SMS or WhatsApp.
    Otp { channel: Option<Channel> },
    /// `"IN_APP_VALIDATION"`: approve the notification in the provider's app; solving with any
    /// code waits for that approval.
    InAppValidation,
    /// `"PHONE_REGISTER"`: the code is a phone number, `(+33)612345678`.
    PhoneRegister,
    /// `"CAPTCHA"`: the code is the captcha solution.
    Captcha {
        public_key: Option<String>,
        data: Option<String>,
    },
    /// `"OTP_OR_IN_APP_VALIDATION"`: enter the OTP, or approve in the app.
    OtpOrInAppValidation { channel: Option<Channel> },
    /// `"CONTRACT_SELECTION"`: the code is the chosen contract id.
    ContractSelection { contracts: Vec<Contract> },
    /// `"CHALLENGE_SELECTION"`: pick a challenge id and send it to Request a Checkpoint.
    ChallengeSelection { challenges: Vec<Challenge> },
    /// `"LOADING"`: the provider is still working; solve again to wait for the next step.
    Loading,
    /// `"CONSENT_SCREEN"`: the user selects the products to activate on the account; the code is
    /// made by [`consent_code`].
    ConsentScreen { products: Vec<Product> },
    /// `"PAIRING_CODE"`: the user enters `code` in the provider's app; solving with any code then
    /// waits for that, as for an in-app validation.
    PairingCode { code: PairingCode },
    /// Any other `type`.
    Unknown { kind: String },
}

impl Checkpoint {
    /// The wire `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Checkpoint::TwoFactor { .. } => "2FA",
            Checkpoint::Otp { .. } => "OTP",
            Checkpoint::InAppValidation => "IN_APP_VALIDATION",
            Checkpoint::PhoneRegister => "PHONE_REGISTER",
            Checkpoint::Captcha { .. } => "CAPTCHA",
            Checkpoint::OtpOrInAppValidation { .. } => "OTP_OR_IN_APP_VALIDATION",
            Checkpoint::ContractSelection { .. } => "CONTRACT_SELECTION",
            Checkpoint::ChallengeSelection { .. } => "CHALLENGE_SELECTION",
            Checkpoint::Loading => "LOADING",
            Checkpoint::ConsentScreen { .. } => "CONSENT_SCREEN",
            Checkpoint::PairingCode { .. } => "PAIRING_CODE",
            Checkpoint::Unknown { kind } => kind,
        }
    }
}

impl Checkpoint {
    /// Reads a checkpoint from its JSON text: `type` first, then the fields of that type. Known
    /// types are read strictly; an unknown one becomes [`Checkpoint::Unknown`].
    fn from_json(text: &str) -> serde_json::Result<Checkpoint> {
        #[derive(Deserialize)]
        struct TwoFactor {
            platform: TwoFactorPlatform,
        }
        #[derive(Deserialize)]
        struct WithChannel {
            #[serde(default)]
            channel: Option<Channel>,
        }
        #[derive(Deserialize)]
        struct Captcha {
            #[serde(default)]
            public_key: Option<String>,
            #[serde(default)]
            data: Option<String>,
        }
        #[derive(Deserialize)]
        struct Contracts {
            contracts: Vec<Contract>,
        }
        #[derive(Deserialize)]
        struct Challenges {
            challenges: Vec<Challenge>,
        }
        #[derive(Deserialize)]
        struct Products {
            products: Vec<Product>,
        }
        #[derive(Deserialize)]
        struct Pairing {
            code: PairingCode,
        }
        let Type { kind } = serde_json::from_str(text)?;
        Ok(match &*kind {
            "2FA" => Checkpoint::TwoFactor {
                platform: serde_json::from_str::<TwoFactor>(text)?.platform,
            },
            "OTP" => Checkpoint::Otp {
                channel: serde_json::from_str::<WithChannel>(text)?.channel,
            },
            "IN_APP_VALIDATION" => Checkpoint::InAppValidation,
            "PHONE_REGISTER" => Checkpoint::PhoneRegister,
            "CAPTCHA" => {
                let Captcha { public_key, data } = serde_json::from_str(text)?;
                Checkpoint::Captcha { public_key, data }
            }
            "OTP_OR_IN_APP_VALIDATION" => Checkpoint::OtpOrInAppValidation {
                channel: serde_json::from_str::<WithChannel>(text)?.channel,
            },
            "CONTRACT_SELECTION" => Checkpoint::ContractSelection {
                contracts: serde_json::from_str::<Contracts>(text)?.contracts,
            },
            "CHALLENGE_SELECTION" => Checkpoint::ChallengeSelection {
                challenges: serde_json::from_str::<Challenges>(text)?.challenges,
            },
            "LOADING" => Checkpoint::Loading,
            "CONSENT_SCREEN" => Checkpoint::ConsentScreen {
                products: serde_json::from_str::<Products>(text)?.products,
            },
            "PAIRING_CODE" => Checkpoint::PairingCode {
                code: serde_json::from_str::<Pairing>(text)?.code,
            },
            _ => Checkpoint::Unknown {
                kind: kind.into_owned(),
            },
        })
    }
}

/// From JSON text only, as [`AuthResult`]'s.
impl<'de> Deserialize<'de> for Checkpoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Checkpoint::from_json(raw.get()).map_err(D::Error::custom)
    }
}

impl Serialize for Checkpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.type_name())?;
        match self {
            Checkpoint::TwoFactor { platform } => map.serialize_entry("platform", platform)?,
            Checkpoint::Otp { channel } | Checkpoint::OtpOrInAppValidation { channel } => {
                if let Some(channel) = channel {
                    map.serialize_entry("channel", channel)?;
                }
            }
            Checkpoint::Captcha { public_key, data } => {
                map.serialize_entry("public_key", public_key)?;
                map.serialize_entry("data", data)?;
            }
            Checkpoint::ContractSelection { contracts } => {
                map.serialize_entry("contracts", contracts)?
            }
            Checkpoint::ChallengeSelection { challenges } => {
                map.serialize_entry("challenges", challenges)?
            }
            Checkpoint::ConsentScreen { products } => map.serialize_entry("products", products)?,
            Checkpoint::PairingCode { code } => map.serialize_entry("code", code)?,
            Checkpoint::InAppValidation
            | Checkpoint::PhoneRegister
            | Checkpoint::Loading
            | Checkpoint::Unknown { .. } => {}
        }
        map.end()
    }
}

wire_enum! {
    /// Where a `2FA` code comes from.
    pub enum TwoFactorPlatform {
        Sms => "SMS",
        App => "APP",
        Whatsapp => "WHATSAPP",
    }
}

wire_enum! {
    /// Where an `OTP` is sent; also the ids of `CHALLENGE_SELECTION` challenges.
    pub enum Channel {
        Email => "EMAIL",
        Sms => "SMS",
        Whatsapp => "WHATSAPP",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// `EMAIL`, `SMS` or `WHATSAPP`: send it back as `challenge`.
    pub id: String,
    /// Human name, e.g. "Text message".
    pub label: String,
    /// E.g. the masked destination.
    #[serde(default)]
    pub description: Option<String>,
}

/// A product a `CONSENT_SCREEN` offers to activate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Sent back in the code, see [`consent_code`].
    pub id: String,
    /// Human name, e.g. "Sales Navigator".
    pub display_name: String,
}

/// The code that answers a `CONSENT_SCREEN`: the chosen product ids, comma-separated, in the order
/// given. Inferred: the contract only says that Solve's `code` is "the code to solve the
/// checkpoint", and says nothing of how a choice of several products is written into it.
pub fn consent_code<'a>(chosen: impl IntoIterator<Item = &'a str>) -> String {
    chosen.into_iter().collect::<Vec<_>>().join(",")
}

/// The code of a `PAIRING_CODE` checkpoint. The user must see it, so it is plain text, but it is
/// kept out of `Debug` output, so a checkpoint printed into a log line does not carry it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PairingCode(String);

impl PairingCode {
    pub fn new(code: impl Into<String>) -> PairingCode {
        PairingCode(code.into())
    }

    /// The code as Unipile gave it, to show to the user.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> AuthResult {
        match serde_json::from_str(text) {
            Ok(result) => result,
            Err(e) => panic!("{text} did not parse: {e}"),
        }
    }

    fn checkpoint(json: &str) -> Checkpoint {
        let text = format!(
            r#"{{"object":"AuthenticationCheckpoint","intent_id":"acc_1","checkpoint":{json}}}"#
        );
        match parse(&text) {
            AuthResult::Checkpoint {
                intent_id,
                checkpoint,
            } => {
                assert_eq!(intent_id, "acc_1");
                checkpoint
            }
            other => panic!("not a checkpoint: {other:?}"),
        }
    }

    fn round_trips(result: &AuthResult) {
        let text = serde_json::to_string(result).unwrap_or_default();
        assert_eq!(&parse(&text), result, "{text}");
    }

    #[test]
    fn account_ignores_unknown_fields() {
        let result = parse(
            r#"{"object":"Account","id":"acc_1","application_id":"app_1","user_id":"u1",
                "name":"Jane","created_at":"2025-01-01T00:00:00.000Z","status":"running",
                "is_locked":false,"provider":"linkedin","metadata":{"custom_data":{}},
                "proxy":{"country":"fr","auto_proxy":true}}"#,
        );
        assert_eq!(
            result,
            AuthResult::Account(Account {
                id: "acc_1".into(),
                name: Some("Jane".into()),
                provider: "linkedin".into(),
                status: "running".into(),
                user_id: Some("u1".into()),
                application_id: Some("app_1".into()),
                created_at: Some("2025-01-01T00:00:00.000Z".into()),
            })
        );
        round_trips(&result);
    }

    #[test]
    fn discriminators_are_found_anywhere_and_other_fields_never_get_in_the_way() {
        // Unipile's accounts carry a `type` of their own; the tag may come last.
        let account = parse(
            r#"{"type":"LINKEDIN","id":"acc_1","provider":"linkedin","status":"running",
                "object":"Account"}"#,
        );
        assert!(matches!(&account, AuthResult::Account(a) if a.id == "acc_1"));
        let checkpoint = parse(
            r#"{"status":201,"checkpoint":{"platform":"SMS","object":7,"type":"2FA"},
                "intent_id":"acc_2","object":"AuthenticationCheckpoint","account":{"id":1}}"#,
        );
        assert_eq!(
            checkpoint,
            AuthResult::Checkpoint {
                intent_id: "acc_2".into(),
                checkpoint: Checkpoint::TwoFactor {
                    platform: TwoFactorPlatform::Sms
                },
            }
        );
        // Escaped text in a tag is read like any other string.
        let escaped = parse(r#"{"object":"Acc\u006funt","id":"a","provider":"x","status":"s"}"#);
        assert!(matches!(escaped, AuthResult::Account(_)));
    }

    #[test]
    fn minimal_account() {
        let result =
            parse(r#"{"object":"Account","id":"acc_1","provider":"imap","status":"degraded"}"#);
        assert!(
            matches!(&result, AuthResult::Account(a) if a.status == "degraded" && a.name.is_none())
        );
    }

    #[test]
    fn qr_code_oauth_url_and_unknown_object() {
        let qr = parse(r#"{"object":"AuthenticationQrCode","intent_id":"acc_2","qrcode":"2@abc"}"#);
        assert_eq!(
            qr,
            AuthResult::QrCode {
                intent_id: "acc_2".into(),
                qrcode: "2@abc".into()
            }
        );
        let oauth = parse(r#"{"object":"OauthUrl","url":"https://accounts.example/o"}"#);
        assert_eq!(
            oauth,
            AuthResult::OauthUrl {
                url: "https://accounts.example/o".into()
            }
        );
        let unknown = parse(r#"{"object":"HostedAuthLink","link":"https://x"}"#);
        assert_eq!(
            unknown,
            AuthResult::Unknown {
                object: "HostedAuthLink".into()
            }
        );
        for result in [qr, oauth, unknown] {
            round_trips(&result);
        }
    }

    #[test]
    fn missing_or_malformed_object_is_an_error() {
        assert!(serde_json::from_str::<AuthResult>(r#"{"id":"acc_1"}"#).is_err());
        assert!(serde_json::from_str::<AuthResult>(r#"{"object":1}"#).is_err());
        assert!(
            serde_json::from_str::<AuthResult>(r#"{"object":"Account","id":"acc_1"}"#).is_err()
        );
        assert!(serde_json::from_str::<AuthResult>("[]").is_err());
    }

    #[test]
    fn every_checkpoint_type() {
        let cases = [
            (
                r#"{"type":"2FA","platform":"SMS"}"#,
                Checkpoint::TwoFactor {
                    platform: TwoFactorPlatform::Sms,
                },
            ),
            (
                r#"{"type":"2FA","platform":"APP"}"#,
                Checkpoint::TwoFactor {
                    platform: TwoFactorPlatform::App,
                },
            ),
            (
                r#"{"type":"2FA","platform":"WHATSAPP"}"#,
                Checkpoint::TwoFactor {
                    platform: TwoFactorPlatform::Whatsapp,
                },
            ),
            (
                r#"{"type":"2FA","platform":"PIGEON"}"#,
                Checkpoint::TwoFactor {
                    platform: TwoFactorPlatform::Other("PIGEON".into()),
                },
            ),
            (r#"{"type":"OTP"}"#, Checkpoint::Otp { channel: None }),
            (
                r#"{"type":"OTP","channel":"EMAIL"}"#,
                Checkpoint::Otp {
                    channel: Some(Channel::Email),
                },
            ),
            (
                r#"{"type":"IN_APP_VALIDATION"}"#,
                Checkpoint::InAppValidation,
            ),
            (r#"{"type":"PHONE_REGISTER"}"#, Checkpoint::PhoneRegister),
            (
                r#"{"type":"CAPTCHA","public_key":"pk","data":"d\"'</script>"}"#,
                Checkpoint::Captcha {
                    public_key: Some("pk".into()),
                    data: Some("d\"'</script>".into()),
                },
            ),
            (
                r#"{"type":"CAPTCHA","public_key":null,"data":null}"#,
                Checkpoint::Captcha {
                    public_key: None,
                    data: None,
                },
            ),
            (
                r#"{"type":"OTP_OR_IN_APP_VALIDATION","channel":"WHATSAPP"}"#,
                Checkpoint::OtpOrInAppValidation {
                    channel: Some(Channel::Whatsapp),
                },
            ),
            (
                r#"{"type":"CONTRACT_SELECTION","contracts":[{"id":"ctr_1","name":"Acme"}]}"#,
                Checkpoint::ContractSelection {
                    contracts: vec![Contract {
                        id: "ctr_1".into(),
                        name: "Acme".into(),
                    }],
                },
            ),
            (
                r#"{"type":"CHALLENGE_SELECTION","challenges":[{"id":"SMS","label":"Text message","description":"+33"},{"id":"EMAIL","label":"Email"}]}"#,
                Checkpoint::ChallengeSelection {
                    challenges: vec![
                        Challenge {
                            id: "SMS".into(),
                            label: "Text message".into(),
                            description: Some("+33".into()),
                        },
                        Challenge {
                            id: "EMAIL".into(),
                            label: "Email".into(),
                            description: None,
                        },
                    ],
                },
            ),
            (r#"{"type":"LOADING"}"#, Checkpoint::Loading),
            (
                r#"{"type":"CONSENT_SCREEN","products":[{"id":"classic","display_name":"LinkedIn"},{"id":"sales_navigator","display_name":"Sales Navigator","status":"x"}]}"#,
                Checkpoint::ConsentScreen {
                    products: vec![
                        Product {
                            id: "classic".into(),
                            display_name: "LinkedIn".into(),
                        },
                        Product {
                            id: "sales_navigator".into(),
                            display_name: "Sales Navigator".into(),
                        },
                    ],
                },
            ),
            (
                r#"{"type":"PAIRING_CODE","code":"K7QF-3XN9"}"#,
                Checkpoint::PairingCode {
                    code: PairingCode::new("K7QF-3XN9"),
                },
            ),
            (
                r#"{"type":"FACE_SCAN","hint":"smile"}"#,
                Checkpoint::Unknown {
                    kind: "FACE_SCAN".into(),
                },
            ),
        ];
        for (json, expected) in cases {
            let parsed = checkpoint(json);
            assert_eq!(parsed, expected, "{json}");
            round_trips(&AuthResult::Checkpoint {
                intent_id: "acc_1".into(),
                checkpoint: parsed,
            });
        }
    }

    #[test]
    fn two_factor_is_spelled_with_a_leading_digit() {
        let twofa = Checkpoint::TwoFactor {
            platform: TwoFactorPlatform::App,
        };
        assert_eq!(twofa.type_name(), "2FA");
        assert_eq!(
            serde_json::to_value(&twofa).ok(),
            Some(serde_json::json!({"type": "2FA", "platform": "APP"}))
        );
        assert_eq!(
            Checkpoint::Unknown { kind: "NEW".into() }.type_name(),
            "NEW"
        );
    }

    #[test]
    fn known_checkpoint_with_bad_fields_is_an_error() {
        let text = r#"{"object":"AuthenticationCheckpoint","intent_id":"acc_1","checkpoint":{"type":"2FA"}}"#;
        assert!(serde_json::from_str::<AuthResult>(text).is_err());
        let text = r#"{"object":"AuthenticationCheckpoint","intent_id":"acc_1","checkpoint":{"type":"CONTRACT_SELECTION","contracts":"x"}}"#;
        assert!(serde_json::from_str::<AuthResult>(text).is_err());
        let text = r#"{"object":"AuthenticationCheckpoint","intent_id":"acc_1","checkpoint":{}}"#;
        assert!(serde_json::from_str::<AuthResult>(text).is_err());
        for checkpoint in [
            r#"{"type":"CONSENT_SCREEN"}"#,
            r#"{"type":"CONSENT_SCREEN","products":[{"id":"classic"}]}"#,
            r#"{"type":"PAIRING_CODE"}"#,
            r#"{"type":"PAIRING_CODE","code":1234}"#,
        ] {
            let text = format!(
                r#"{{"object":"AuthenticationCheckpoint","intent_id":"acc_1","checkpoint":{checkpoint}}}"#
            );
            assert!(serde_json::from_str::<AuthResult>(&text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_consent_is_answered_with_the_chosen_ids_comma_separated_in_order() {
        assert_eq!(consent_code(["classic"]), "classic");
        assert_eq!(
            consent_code(["sales_navigator", "classic"]),
            "sales_navigator,classic"
        );
        let products = [
            Product {
                id: "classic".into(),
                display_name: "LinkedIn".into(),
            },
            Product {
                id: "company".into(),
                display_name: "Company pages".into(),
            },
        ];
        assert_eq!(
            consent_code(products.iter().map(|p| p.id.as_str())),
            "classic,company"
        );
    }

    #[test]
    fn a_pairing_code_is_read_and_written_as_given_but_never_printed() {
        let step = checkpoint(r#"{"type":"PAIRING_CODE","code":"K7QF-3XN9"}"#);
        let Checkpoint::PairingCode { code } = &step else {
            panic!("not a pairing code: {step:?}");
        };
        assert_eq!(code.expose(), "K7QF-3XN9");
        assert_eq!(step.type_name(), "PAIRING_CODE");
        assert_eq!(
            serde_json::to_value(&step).ok(),
            Some(serde_json::json!({"type": "PAIRING_CODE", "code": "K7QF-3XN9"}))
        );
        let printed = format!(
            "{:?}",
            AuthResult::Checkpoint {
                intent_id: "acc_1".into(),
                checkpoint: step.clone(),
            }
        );
        assert!(
            printed.contains("PairingCode") && !printed.contains("K7QF"),
            "{printed}"
        );
    }
}
