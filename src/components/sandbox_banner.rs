use crate::{text::Text, tx};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// The magic credentials of the built-in sandbox, shown on every page in sandbox mode.
const SCENARIOS: &[(&str, Text)] = &[
    ("user_good", tx!(sandbox.good)),
    ("user_2fa_sms, user_2fa_app, user_2fa_whatsapp", tx!(sandbox.two_factor)),
    ("user_otp", tx!(sandbox.otp)),
    ("user_phone", tx!(sandbox.phone)),
    ("user_captcha", tx!(sandbox.captcha)),
    ("user_captcha_fail", tx!(sandbox.captcha_fail)),
    ("user_captcha_large", tx!(sandbox.captcha_large)),
    ("user_captcha_404, user_captcha_error", tx!(sandbox.captcha_broken)),
    ("user_in_app, user_in_app_timeout", tx!(sandbox.in_app)),
    ("user_otp_or_in_app", tx!(sandbox.otp_or_in_app)),
    ("user_challenge", tx!(sandbox.challenge)),
    ("user_contract", tx!(sandbox.contract)),
    ("user_loading", tx!(sandbox.loading)),
    ("user_consent", tx!(sandbox.consent)),
    ("user_pairing", tx!(sandbox.pairing)),
    ("user_chain", tx!(sandbox.chain)),
    ("error_unknown_authentication_context, error_account_restricted, error_already_exists, error_server, error_slow", tx!(sandbox.errors)),
];

#[component]
pub fn SandboxBanner() -> impl IntoView {
    let locale = crate::text::locale();
    let lead = td_string!(locale, sandbox.lead);
    let (before, rest) = lead.split_once("{password}").unwrap_or((lead, ""));
    let (between, after) = rest.split_once("{code}").unwrap_or((rest, ""));
    view! {
        <section class="sandbox" aria-label=td_string!(locale, sandbox.label)>
            <details>
                <summary>
                    <strong>{td_string!(locale, sandbox.mode)}</strong>
                    {before}<code>"pass_good"</code>{between}<code>"123456"</code>{after}
                </summary>
                <p>{td_string!(locale, sandbox.rule)}</p>
                <table>
                    <thead><tr><th scope="col">{td_string!(locale, sandbox.username)}</th><th scope="col">{td_string!(locale, sandbox.what_happens)}</th></tr></thead>
                    <tbody>
                        {SCENARIOS.iter().map(|(users, what)| view! {
                            <tr><td><code>{*users}</code></td><td>{what.get(locale)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}
