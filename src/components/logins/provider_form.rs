use crate::{
    catalogue::{Provider, MAX_FIELD_LEN},
    components::{FlowActions, NoticeView, StepHeading},
    error::AppError,
    model::FormState,
};
use leptos::prelude::*;

/// The sign-in form of a provider, from its catalogue entry. The username is kept after a refusal; the
/// password never is.
#[component]
pub fn ProviderForm(provider: &'static Provider, form: FormState) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    // A refused start (429) comes back as an error, not a step; shown unless the step already says so.
    let has_notice = form.notice.is_some();
    let rate_limited = move || {
        let failed = actions.start.value().get().and_then(Result::err);
        failed
            .filter(|e| !has_notice && matches!(e, AppError::RateLimited { .. }))
            .map(|e| e.notice())
    };
    view! {
        <StepHeading>{format!("Connect your {} account", provider.label)}</StepHeading>
        <NoticeView provider notice=form.notice.clone()/>
        {move || rate_limited().map(|notice| view! { <NoticeView provider notice=Some(notice)/> })}
        <ActionForm action=actions.start attr:class="form" attr:novalidate=false>
            <input type="hidden" name="provider" value=provider.id/>
            <div class="field">
                <label for="username">{provider.username_label}</label>
                <input id="username" name="username" type=provider.username_type autocomplete="username"
                    required maxlength=MAX_FIELD_LEN value=form.username.clone() aria-describedby="username-hint"
                    spellcheck="false" autocapitalize="none"/>
                <p id="username-hint" class="hint">{provider.username_hint}</p>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password"
                    required maxlength=MAX_FIELD_LEN/>
            </div>
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { "Connecting…" } else { "Connect" }}
            </button>
        </ActionForm>
        <p class="back"><a href="/">"Choose another account type"</a></p>
    }
}
