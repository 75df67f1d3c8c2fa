use leptos::prelude::*;

/// The magic credentials of the built-in sandbox, shown on every page in sandbox mode.
const SCENARIOS: &[(&str, &str)] = &[
    ("user_good", "linked at once"),
    ("user_2fa_sms, user_2fa_app, user_2fa_whatsapp", "two-step code"),
    ("user_otp", "code by e-mail"),
    ("user_phone", "add a phone, then a code"),
    ("user_captcha", "CAPTCHA"),
    ("user_captcha_fail", "CAPTCHA that fails once"),
    ("user_captcha_404, user_captcha_error", "CAPTCHA that cannot load"),
    ("user_in_app, user_in_app_timeout", "approve in the app"),
    ("user_otp_or_in_app", "code or app approval"),
    ("user_challenge", "choose how to get a code"),
    ("user_contract", "choose a contract"),
    ("user_loading", "wait, then a code"),
    ("user_chain", "code, CAPTCHA, then app approval"),
    ("error_unknown_authentication_context, error_account_restricted, error_already_exists, error_server, error_slow", "that error"),
];

#[component]
pub fn SandboxBanner() -> impl IntoView {
    view! {
        <section class="sandbox" aria-label="Sandbox">
            <details>
                <summary>
                    <strong>"Sandbox mode"</strong>
                    " — no real account is contacted. Password "<code>"pass_good"</code>", code "<code>"123456"</code>"."
                </summary>
                <p>"The username picks what happens; any other password is refused, any other code is wrong."</p>
                <table>
                    <thead><tr><th scope="col">"Username"</th><th scope="col">"What happens"</th></tr></thead>
                    <tbody>
                        {SCENARIOS.iter().map(|(users, what)| view! {
                            <tr><td><code>{*users}</code></td><td>{*what}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}
