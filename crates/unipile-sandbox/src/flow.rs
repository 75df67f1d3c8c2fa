//! In-memory intents and the magic-credential scenarios that drive them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::{json, Value};

use crate::arkose::{
    CAPTCHA_KEY, CAPTCHA_KEY_ERROR, CAPTCHA_KEY_FAIL_ONCE, CAPTCHA_KEY_LARGE, CAPTCHA_KEY_MISSING,
};
use crate::failure::{Failure, INVALID_CHECKPOINT_CODE, PROVIDER_TIMEOUT};
use crate::util::{now_rfc3339, pairing_code, random_id};
use crate::validate::IntentRequest;
use crate::SandboxConfig;

pub(crate) const GOOD_CODE: &str = "123456";
const CONTRACTS: &[(&str, &str)] = &[
    ("ctr_1", "Acme Corp — Recruiter"),
    ("ctr_2", "Globex — Sales Navigator"),
];
/// What `user_consent` may activate: `(id, display_name)`.
const PRODUCTS: &[(&str, &str)] = &[
    ("classic", "LinkedIn"),
    ("sales_navigator", "Sales Navigator"),
];
const CHALLENGES: &[(&str, &str, &str)] = &[
    ("EMAIL", "Email", "j•••@example.com"),
    ("SMS", "Text message", "+33 •• •• •• 78"),
    ("WHATSAPP", "WhatsApp", "+33 •• •• •• 78"),
];

/// One checkpoint of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    TwoFactor(&'static str),
    Otp(&'static str),
    PhoneRegister,
    /// A CAPTCHA with this `public_key`; the key chooses how the stand-in script behaves
    /// (see [`crate::arkose`]).
    Captcha(&'static str),
    InApp {
        approves: bool,
    },
    OtpOrInApp,
    ChallengeSelection,
    ContractSelection,
    Loading,
    /// A CONSENT_SCREEN offering [`PRODUCTS`]; any non-empty subset of them is accepted.
    Consent,
    /// A PAIRING_CODE (the intent's own code), entered in the app a few seconds after it is shown.
    Pairing,
}

/// The checkpoints a scenario username goes through; empty means Account at once.
pub(crate) fn scenario(user: &str) -> Vec<Stage> {
    use Stage::*;
    match user {
        "user_2fa_sms" => vec![TwoFactor("SMS")],
        "user_2fa_app" => vec![TwoFactor("APP")],
        "user_2fa_whatsapp" => vec![TwoFactor("WHATSAPP")],
        "user_otp" => vec![Otp("EMAIL")],
        "user_phone" => vec![PhoneRegister, Otp("SMS")],
        "user_captcha" => vec![Captcha(CAPTCHA_KEY)],
        "user_captcha_404" => vec![Captcha(CAPTCHA_KEY_MISSING)],
        "user_captcha_error" => vec![Captcha(CAPTCHA_KEY_ERROR)],
        "user_captcha_fail" => vec![Captcha(CAPTCHA_KEY_FAIL_ONCE)],
        "user_captcha_large" => vec![Captcha(CAPTCHA_KEY_LARGE)],
        "user_in_app" => vec![InApp { approves: true }],
        "user_in_app_timeout" => vec![InApp { approves: false }],
        "user_otp_or_in_app" => vec![OtpOrInApp],
        "user_challenge" => vec![ChallengeSelection],
        "user_contract" => vec![ContractSelection],
        "user_loading" => vec![Loading, TwoFactor("SMS")],
        "user_consent" => vec![Consent],
        "user_pairing" => vec![Pairing],
        "user_chain" => vec![
            TwoFactor("SMS"),
            Captcha(CAPTCHA_KEY),
            InApp { approves: true },
        ],
        _ => Vec::new(),
    }
}

/// The CAPTCHA answer the sandbox accepts for an intent.
pub(crate) fn captcha_token(intent_id: &str) -> String {
    format!("sandbox-token:{intent_id}")
}

/// Per-intent captcha `data`: it deliberately holds both quote kinds and `</script>` so that
/// clients prove they embed it safely. The `token=` field lets a stand-in captcha script find
/// the answer without knowing the intent id.
fn captcha_data(intent_id: &str, public_key: &str) -> String {
    let mut data = format!(
        "sandbox-captcha|token={}|payload=\"it's\" </script><script>alert('sandbox')</script>",
        captcha_token(intent_id)
    );
    if public_key == CAPTCHA_KEY_LARGE {
        // Arkose blobs are opaque base64; this one is long enough to need more than one cookie.
        data.push_str("|blob=");
        data.extend((0..5_000u32).map(|i| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(i.wrapping_mul(2_654_435_761) >> 26) as usize],
            )
        }));
    }
    data
}

impl Stage {
    fn type_name(self) -> &'static str {
        match self {
            Stage::TwoFactor(_) => "2FA",
            Stage::Otp(_) => "OTP",
            Stage::PhoneRegister => "PHONE_REGISTER",
            Stage::Captcha(_) => "CAPTCHA",
            Stage::InApp { .. } => "IN_APP_VALIDATION",
            Stage::OtpOrInApp => "OTP_OR_IN_APP_VALIDATION",
            Stage::ChallengeSelection => "CHALLENGE_SELECTION",
            Stage::ContractSelection => "CONTRACT_SELECTION",
            Stage::Loading => "LOADING",
            Stage::Consent => "CONSENT_SCREEN",
            Stage::Pairing => "PAIRING_CODE",
        }
    }
}

fn checkpoint_json(intent_id: &str, stage: Stage, pairing_code: &str) -> Value {
    let mut checkpoint = json!({"type": stage.type_name()});
    let (field, value) = match stage {
        Stage::TwoFactor(platform) => ("platform", json!(platform)),
        Stage::Otp(channel) => ("channel", json!(channel)),
        Stage::OtpOrInApp => ("channel", json!("SMS")),
        Stage::Captcha(public_key) => {
            checkpoint["public_key"] = json!(public_key);
            ("data", json!(captcha_data(intent_id, public_key)))
        }
        Stage::ChallengeSelection => (
            "challenges",
            CHALLENGES
                .iter()
                .map(|(id, label, description)| json!({"id": id, "label": label, "description": description}))
                .collect(),
        ),
        Stage::ContractSelection => (
            "contracts",
            CONTRACTS
                .iter()
                .map(|(id, name)| json!({"id": id, "name": name}))
                .collect(),
        ),
        Stage::Consent => (
            "products",
            PRODUCTS
                .iter()
                .map(|(id, name)| json!({"id": id, "display_name": name}))
                .collect(),
        ),
        Stage::Pairing => ("code", json!(pairing_code)),
        Stage::PhoneRegister | Stage::InApp { .. } | Stage::Loading => {
            return json!({"object": "AuthenticationCheckpoint", "intent_id": intent_id, "checkpoint": checkpoint})
        }
    };
    checkpoint[field] = value;
    json!({"object": "AuthenticationCheckpoint", "intent_id": intent_id, "checkpoint": checkpoint})
}

pub(crate) fn account_json(id: &str, provider: &str, name: &str) -> Value {
    json!({
        "object": "Account",
        "id": id,
        "application_id": "app_sandbox",
        "user_id": format!("usr_{}", random_id(12)),
        "name": name,
        "provider": provider,
        "status": "running",
        "is_locked": false,
        "created_at": now_rfc3339(),
        "metadata": {},
    })
}

pub(crate) fn new_intent_id() -> String {
    format!("acc_{}", random_id(22))
}

/// A consent is answered with the chosen product ids, comma-separated: at least one, each offered, none twice.
fn check_consent(code: &str) -> Result<(), Failure> {
    let chosen: Vec<&str> = code.split(',').collect();
    let offered = |id: &&str| PRODUCTS.iter().any(|(offered, _)| offered == id);
    let once = |(i, id): (usize, &&str)| !chosen[..i].contains(id);
    if chosen.iter().all(offered) && chosen.iter().enumerate().all(once) {
        return Ok(());
    }
    Err(Failure::invalid(format!(
        "`code` must be one or more of the listed product ids, comma-separated, each once: {}",
        PRODUCTS
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

fn check_code(code: &str) -> Result<(), Failure> {
    if code == GOOD_CODE {
        Ok(())
    } else {
        Err(Failure::new(
            INVALID_CHECKPOINT_CODE,
            "The code is not valid. Check it and try again.",
        ))
    }
}

struct Intent {
    provider: String,
    name: String,
    account_id: Option<String>,
    /// The front is the current checkpoint.
    stages: VecDeque<Stage>,
    /// When the current checkpoint was issued (in-app approval and loading count from here).
    issued_at: Instant,
    expires_at: Instant,
    /// Bumped whenever the current checkpoint changes, so a held solve can tell.
    generation: u64,
    /// What a PAIRING_CODE checkpoint of this intent shows.
    pairing_code: String,
}

impl Intent {
    fn current(&self) -> Option<Stage> {
        self.stages.front().copied()
    }

    fn checkpoint_json(&self, intent_id: &str, stage: Stage) -> Value {
        checkpoint_json(intent_id, stage, &self.pairing_code)
    }

    fn replace_current(&mut self, stage: Stage, now: Instant) {
        if let Some(front) = self.stages.front_mut() {
            *front = stage;
        }
        self.issued_at = now;
        self.generation += 1;
    }
}

/// What a solve needs next.
pub(crate) enum Solve {
    Answer(Value),
    /// Hold the request until `wake`, then call [`Flows::finish_wait`].
    Wait {
        wake: Instant,
        ready_at: Option<Instant>,
        generation: u64,
    },
}

pub(crate) struct Flows {
    config: SandboxConfig,
    intents: Mutex<HashMap<String, Intent>>,
}

type Intents = HashMap<String, Intent>;

impl Flows {
    pub(crate) fn new(config: SandboxConfig) -> Flows {
        Flows {
            config,
            intents: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Locks the intents with the expired ones removed.
    fn live(&self, now: Instant) -> MutexGuard<'_, Intents> {
        // A panic elsewhere cannot leave the map inconsistent: every update is one statement.
        let mut intents = self.intents.lock().unwrap_or_else(PoisonError::into_inner);
        intents.retain(|_, intent| intent.expires_at > now);
        intents
    }

    /// Starts a scenario: an Account at once, or the first checkpoint of a new intent.
    pub(crate) fn start(&self, request: IntentRequest, scenario_user: &str) -> Value {
        let stages: VecDeque<Stage> = scenario(scenario_user).into();
        let intent_id = new_intent_id();
        let Some(first) = stages.front().copied() else {
            let id = request.account_id.as_deref().unwrap_or(&intent_id);
            return account_json(id, &request.provider, &request.user);
        };
        let now = Instant::now();
        let intent = Intent {
            provider: request.provider,
            name: request.user,
            account_id: request.account_id,
            stages,
            issued_at: now,
            expires_at: now + self.config.intent_ttl,
            generation: 0,
            pairing_code: pairing_code(),
        };
        let answer = intent.checkpoint_json(&intent_id, first);
        self.live(now).insert(intent_id.clone(), intent);
        answer
    }

    pub(crate) fn solve(&self, intent_id: &str, code: &str) -> Result<Solve, Failure> {
        let now = Instant::now();
        let mut intents = self.live(now);
        let intent = intents
            .get(intent_id)
            .ok_or_else(|| Failure::unknown_intent(intent_id))?;
        let Some(stage) = intent.current() else {
            return Err(Failure::unknown_intent(intent_id));
        };
        let wait = |delay: Option<std::time::Duration>| {
            let ready_at = delay.map(|d| intent.issued_at + d);
            let wake = [
                ready_at.unwrap_or(intent.expires_at),
                intent.expires_at,
                now + self.config.long_poll_max,
            ]
            .into_iter()
            .min()
            .unwrap_or(now);
            Ok(Solve::Wait {
                wake,
                ready_at,
                generation: intent.generation,
            })
        };
        match stage {
            Stage::TwoFactor(_) | Stage::Otp(_) => check_code(code)?,
            Stage::PhoneRegister => crate::validate::phone(code)?,
            Stage::Captcha(_) if code != captcha_token(intent_id) => {
                return Err(Failure::new(
                    INVALID_CHECKPOINT_CODE,
                    "The captcha solution is not valid.",
                ))
            }
            Stage::Captcha(_) => {}
            Stage::ContractSelection if !CONTRACTS.iter().any(|(id, _)| *id == code) => {
                return Err(Failure::invalid(format!(
                    "`code` must be one of the listed contract ids: {}",
                    CONTRACTS.iter().map(|(id, _)| *id).collect::<Vec<_>>().join(", ")
                )))
            }
            Stage::ContractSelection => {}
            Stage::Consent => check_consent(code)?,
            Stage::ChallengeSelection => {
                return Err(Failure::invalid(
                    "`code`: a CHALLENGE_SELECTION is answered with POST /v2/auth/checkpoint/request and `challenge`",
                ))
            }
            Stage::InApp { approves } => {
                return wait(approves.then_some(self.config.in_app_approval_delay))
            }
            Stage::OtpOrInApp if code.is_empty() => {
                return wait(Some(self.config.in_app_approval_delay))
            }
            Stage::OtpOrInApp => check_code(code)?,
            Stage::Loading => return wait(Some(self.config.loading_delay)),
            // The code is entered in the app, not sent here: whatever is sent waits for it.
            Stage::Pairing => return wait(Some(self.config.in_app_approval_delay)),
        }
        advance(&mut intents, intent_id, now).map(Solve::Answer)
    }

    /// Ends a held solve: approved, moved on meanwhile, expired, or still waiting.
    pub(crate) fn finish_wait(
        &self,
        intent_id: &str,
        ready_at: Option<Instant>,
        generation: u64,
    ) -> Result<Value, Failure> {
        let now = Instant::now();
        let mut intents = self.live(now);
        let intent = intents
            .get(intent_id)
            .ok_or_else(|| Failure::unknown_intent(intent_id))?;
        if intent.generation != generation {
            // Another call (a code, "try another way") changed the step while this one waited.
            return intent
                .current()
                .map(|stage| intent.checkpoint_json(intent_id, stage))
                .ok_or_else(|| Failure::unknown_intent(intent_id));
        }
        if ready_at.is_some_and(|ready| now >= ready) {
            return advance(&mut intents, intent_id, now);
        }
        Err(Failure::new(
            PROVIDER_TIMEOUT,
            "The validation was not received in time. Solve the checkpoint again to keep waiting.",
        ))
    }

    pub(crate) fn request(
        &self,
        intent_id: &str,
        challenge: Option<&str>,
    ) -> Result<Value, Failure> {
        let now = Instant::now();
        let mut intents = self.live(now);
        let intent = intents
            .get_mut(intent_id)
            .ok_or_else(|| Failure::unknown_intent(intent_id))?;
        let Some(stage) = intent.current() else {
            return Err(Failure::unknown_intent(intent_id));
        };
        let next = match (challenge, stage) {
            (Some(challenge), Stage::ChallengeSelection) => {
                let channel = CHALLENGES
                    .iter()
                    .map(|(id, _, _)| *id)
                    .find(|id| *id == challenge)
                    .ok_or_else(|| {
                        Failure::invalid(format!(
                            "`challenge` must be one of EMAIL, SMS, WHATSAPP; got {challenge:?}"
                        ))
                    })?;
                Stage::Otp(channel)
            }
            (Some(_), _) => {
                return Err(Failure::invalid(
                    "`challenge` only applies to a CHALLENGE_SELECTION checkpoint",
                ))
            }
            (
                None,
                Stage::TwoFactor(_) | Stage::Otp(_) | Stage::InApp { .. } | Stage::OtpOrInApp,
            ) => Stage::ChallengeSelection,
            (None, Stage::ChallengeSelection) => Stage::ChallengeSelection,
            // Polls a LOADING step without holding the request.
            (None, Stage::Loading) => {
                let ready = now >= intent.issued_at + self.config.loading_delay;
                if ready && intent.stages.len() > 1 {
                    return advance(&mut intents, intent_id, now);
                }
                Stage::Loading
            }
            (None, _) => {
                return Err(Failure::invalid(format!(
                    "`intent_id`: the current {} checkpoint offers no other verification method",
                    stage.type_name()
                )))
            }
        };
        if next != stage {
            intent.replace_current(next, now);
        }
        Ok(intent.checkpoint_json(intent_id, next))
    }

    pub(crate) fn resend(&self, intent_id: &str) -> Result<(), Failure> {
        let now = Instant::now();
        let intents = self.live(now);
        let stage = intents
            .get(intent_id)
            .and_then(Intent::current)
            .ok_or_else(|| Failure::unknown_intent(intent_id))?;
        match stage {
            Stage::TwoFactor("SMS" | "WHATSAPP") | Stage::Otp(_) | Stage::OtpOrInApp => Ok(()),
            other => Err(Failure::invalid(format!(
                "`intent_id`: the current {} checkpoint has no code to resend",
                other.type_name()
            ))),
        }
    }
}

/// Moves to the next checkpoint, or finishes the intent with its Account.
fn advance(intents: &mut Intents, intent_id: &str, now: Instant) -> Result<Value, Failure> {
    let intent = intents
        .get_mut(intent_id)
        .ok_or_else(|| Failure::unknown_intent(intent_id))?;
    intent.stages.pop_front();
    if let Some(next) = intent.current() {
        intent.issued_at = now;
        intent.generation += 1;
        return Ok(intent.checkpoint_json(intent_id, next));
    }
    let done = intents
        .remove(intent_id)
        .ok_or_else(|| Failure::unknown_intent(intent_id))?;
    Ok(account_json(
        done.account_id.as_deref().unwrap_or(intent_id),
        &done.provider,
        &done.name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captcha_data_is_hostile_but_holds_the_token() {
        let data = captcha_data("acc_x", CAPTCHA_KEY);
        assert!(data.contains('"') && data.contains('\'') && data.contains("</script>"));
        assert!(data.contains("token=sandbox-token:acc_x|"));
        let large = captcha_data("acc_x", CAPTCHA_KEY_LARGE);
        assert!(large.starts_with(&data) && large.len() > 5_000);
    }

    #[test]
    fn each_captcha_scenario_has_its_own_public_key() {
        let keys: Vec<Vec<Stage>> = [
            "user_captcha",
            "user_captcha_404",
            "user_captcha_error",
            "user_captcha_fail",
            "user_captcha_large",
        ]
        .iter()
        .map(|user| scenario(user))
        .collect();
        assert_eq!(
            keys,
            [
                CAPTCHA_KEY,
                CAPTCHA_KEY_MISSING,
                CAPTCHA_KEY_ERROR,
                CAPTCHA_KEY_FAIL_ONCE,
                CAPTCHA_KEY_LARGE
            ]
            .map(|key| vec![Stage::Captcha(key)])
        );
    }

    #[test]
    fn checkpoint_bodies() {
        let checkpoint_json = |id, stage| checkpoint_json(id, stage, "K7QF-3XN9");
        let twofa = checkpoint_json("acc_1", Stage::TwoFactor("SMS"));
        assert_eq!(
            twofa["checkpoint"],
            json!({"type": "2FA", "platform": "SMS"})
        );
        let captcha = checkpoint_json("acc_1", Stage::Captcha(CAPTCHA_KEY));
        assert_eq!(captcha["checkpoint"]["public_key"], "sandbox-public-key");
        assert_eq!(captcha["intent_id"], "acc_1");
        let loading = checkpoint_json("acc_1", Stage::Loading);
        assert_eq!(loading["checkpoint"], json!({"type": "LOADING"}));
        let consent = checkpoint_json("acc_1", Stage::Consent);
        assert_eq!(
            consent["checkpoint"],
            json!({"type": "CONSENT_SCREEN", "products": [
                {"id": "classic", "display_name": "LinkedIn"},
                {"id": "sales_navigator", "display_name": "Sales Navigator"},
            ]})
        );
        let pairing = checkpoint_json("acc_1", Stage::Pairing);
        assert_eq!(
            pairing["checkpoint"],
            json!({"type": "PAIRING_CODE", "code": "K7QF-3XN9"})
        );
    }

    #[test]
    fn a_consent_takes_any_non_empty_subset_of_the_products_once_each() {
        for good in [
            "classic",
            "sales_navigator",
            "classic,sales_navigator",
            "sales_navigator,classic",
        ] {
            assert!(check_consent(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ",",
            "classic,",
            "recruiter",
            "classic,classic",
            "classic, sales_navigator",
            "CLASSIC",
        ] {
            assert!(check_consent(bad).is_err(), "{bad}");
        }
    }
}
