use crate::{
    catalogue::{
        self, Field, FormOptions, Input, Method, Provider, MAIL_SERVER_FIELDS, PROXY_FIELDS,
    },
    components::{follow_keeping_typed, FlowActions, NoticeView, StepHeading, SIGN_IN_FORM},
    error::{AppError, ErrorCode, Highlight, Notice},
    i18n::Locale,
    model::{FieldProblem, FormState, FormValues},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;
use leptos_router::hooks::use_query_map;

/// The sign-in form of a provider, drawn from its catalogue entry: a method switch where there are several
/// methods, the method's fields, then the optional sections (mail servers, products, proxy). What was typed
/// is kept after a refusal, secrets never are. `?account_id=acc_…` turns it into a reconnection and
/// `?state=…` is passed through.
#[component]
pub fn ProviderForm(
    provider: &'static Provider,
    form: FormState,
    options: FormOptions,
    /// `embed.allowed_origins`: where `success_url` / `failure_url` may point.
    origins: Vec<String>,
    /// Signed links are required: the reconnect, state and return addresses are the link's, which the
    /// server put in `form`; the page address's are not read.
    #[prop(optional)]
    signed: bool,
) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let param = |name: &str| query.get(name).unwrap_or_default();
    let locale = crate::text::locale();
    let FormState {
        form: kept,
        notice,
        errors,
        ..
    } = form;
    // The page's parameters win; a form shown again after a refusal carries its own. With signed links
    // only the link's count.
    let param = |name: &str| if signed { String::new() } else { param(name) };
    let (account_id, state) = match catalogue::link_params(&param("account_id"), &param("state")) {
        Ok((account_id, state)) => (
            account_id.or(kept.account_id.clone()),
            state.or(kept.state.clone()),
        ),
        Err(problem) => return view! { <InvalidLink provider code=problem.code()/> }.into_any(),
    };
    let (success_url, failure_url) =
        match catalogue::redirect_params(&param("success_url"), &param("failure_url"), &origins) {
            Ok((success, failure)) => (
                success.or(kept.success_url.clone()),
                failure.or(kept.failure_url.clone()),
            ),
            Err(problem) => {
                return view! { <InvalidLink provider code=problem.code()/> }.into_any()
            }
        };
    let method_id = Some(param("method"))
        .filter(|m| provider.methods.iter().any(|x| x.id == m))
        .unwrap_or_else(|| kept.method.clone());
    let method = provider.method(&method_id);
    let reconnecting = account_id.is_some();
    let shown = Shown {
        locale,
        kept,
        errors: errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        highlight: notice
            .as_ref()
            .map(|n| n.code.highlight())
            .unwrap_or(Highlight::Nothing),
    };
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    // A refused start (429) comes back as an error, not a step; shown unless the step already says so.
    let has_notice = notice.is_some();
    let rate_limited = move || {
        let failed = actions.start.value().get().and_then(Result::err);
        failed
            .filter(|e| !has_notice && matches!(e, AppError::RateLimited { .. }))
            .map(|e| e.notice())
    };
    let (heading, verb, verb_pending) = if reconnecting {
        (
            td_string!(locale, form.reconnect_heading),
            td_string!(locale, form.reconnect),
            td_string!(locale, form.reconnecting),
        )
    } else {
        (
            td_string!(locale, form.connect_heading),
            td_string!(locale, form.connect),
            td_string!(locale, form.connecting),
        )
    };
    let link_params = (
        account_id.clone(),
        state.clone(),
        success_url.clone(),
        failure_url.clone(),
    );
    let method_href = move |m: &Method| {
        catalogue::page_url(
            provider.id,
            &[
                ("method", Some(m.id)),
                ("account_id", link_params.0.as_deref()),
                ("state", link_params.1.as_deref()),
                ("success_url", link_params.2.as_deref()),
                ("failure_url", link_params.3.as_deref()),
            ],
        )
    };
    let mail_open = shown.highlight == Highlight::MailServers
        || MAIL_SERVER_FIELDS.iter().any(|f| shown.flagged(f))
        || !shown.kept.get("imap_host").is_empty()
        || !shown.kept.get("smtp_host").is_empty();
    let proxy_open = matches!(shown.highlight, Highlight::Proxy | Highlight::ProxyLogin)
        || PROXY_FIELDS.iter().any(|f| shown.flagged(f))
        || !shown.kept.get("proxy_host").is_empty();
    let (imap, smtp) = MAIL_SERVER_FIELDS.split_at(5);
    view! {
        <StepHeading>{fill(heading, &[("provider", provider.label.get(locale))])}</StepHeading>
        <NoticeView provider notice=notice.clone()/>
        {move || rate_limited().map(|notice| view! { <NoticeView provider notice=Some(notice)/> })}
        {(provider.methods.len() > 1).then(|| view! {
            <nav class="methods" aria-label=td_string!(locale, form.methods)>
                {provider.methods.iter().map(|m| {
                    let current = m.id == method.id;
                    view! {
                        // A page load, as without JavaScript: the form is drawn afresh for the method,
                        // with what was typed when JavaScript runs.
                        <a href=method_href(m) rel="external" class="method" aria-current=current.then_some("page")
                            on:click=follow_keeping_typed>{m.label.get(locale)}</a>
                    }
                }).collect_view()}
            </nav>
        })}
        {method.intro.map(|intro| view! { <p class="intro">{intro.get(locale)}</p> })}
        <ActionForm action=actions.start attr:id=SIGN_IN_FORM attr:class="form" attr:novalidate=true>
            <input type="hidden" name="provider" value=provider.id/>
            <input type="hidden" name="method" value=method.id/>
            {account_id.map(|id| view! { <input type="hidden" name="account_id" value=id/> })}
            {state.map(|s| view! { <input type="hidden" name="state" value=s/> })}
            {success_url.map(|u| view! { <input type="hidden" name="success_url" value=u/> })}
            {failure_url.map(|u| view! { <input type="hidden" name="failure_url" value=u/> })}
            {method.fields.iter().map(|f| shown.field(f, Highlight::Credentials)).collect_view()}
            {provider.mail_servers.then(|| view! {
                <details class="section" open=mail_open>
                    <summary>{td_string!(locale, form.mail_servers)}</summary>
                    <p class="hint">{td_string!(locale, form.mail_servers_hint)}</p>
                    <fieldset>
                        <legend>{td_string!(locale, form.incoming)}</legend>
                        {imap.iter().map(|f| shown.field(f, Highlight::MailServers)).collect_view()}
                    </fieldset>
                    <fieldset>
                        <legend>{td_string!(locale, form.outgoing)}</legend>
                        {smtp.iter().map(|f| shown.field(f, Highlight::MailServers)).collect_view()}
                    </fieldset>
                </details>
            })}
            {(provider.products && options.products).then(|| view! {
                <fieldset class="section">
                    <legend>{td_string!(locale, form.products)}</legend>
                    {catalogue::PRODUCT_FIELDS.iter().map(|f| shown.field(f, Highlight::Nothing)).collect_view()}
                </fieldset>
            })}
            {(provider.custom_proxy && options.custom_proxy).then(|| view! {
                <details class="section" open=proxy_open>
                    <summary>{td_string!(locale, form.proxy)}</summary>
                    {PROXY_FIELDS.iter().map(|f| {
                        let group = if matches!(f.name, "proxy_username" | "proxy_password") {
                            Highlight::ProxyLogin
                        } else {
                            Highlight::Proxy
                        };
                        shown.field(f, group)
                    }).collect_view()}
                </details>
            })}
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { verb_pending } else { verb }}
            </button>
        </ActionForm>
        <UserAgentPrefill/>
        <p class="back"><a href="/">{td_string!(locale, form.other_provider)}</a></p>
    }
    .into_any()
}

/// What the form shows: the kept values, the fields to correct, and the part a notice points at.
struct Shown {
    locale: Locale,
    kept: FormValues,
    errors: Vec<(String, FieldProblem)>,
    highlight: Highlight,
}

impl Shown {
    fn problem(&self, field: &Field) -> Option<FieldProblem> {
        self.errors
            .iter()
            .find(|(name, _)| name == field.name)
            .map(|(_, p)| *p)
    }

    fn flagged(&self, field: &Field) -> bool {
        self.problem(field).is_some()
    }

    /// The value to show: what was typed, or the field's default in a fresh form. Secrets start empty.
    fn value(&self, field: &Field) -> String {
        if field.secret() {
            return String::new();
        }
        match self.kept.values.get(field.name) {
            Some(value) => value.clone(),
            None => field.default.to_owned(),
        }
    }

    /// One field: label, input, help and, when it needs correcting, what to do.
    fn field(&self, field: &'static Field, group: Highlight) -> AnyView {
        let locale = self.locale;
        let label = field.label.get(locale);
        let problem = self.problem(field);
        let invalid = problem.is_some() || (group != Highlight::Nothing && group == self.highlight);
        let value = self.value(field);
        let hint_id = field.help.map(|_| format!("{}-hint", field.name));
        let error_id = problem.map(|_| format!("{}-error", field.name));
        let described = [hint_id.clone(), error_id.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let described = (!described.is_empty()).then_some(described);
        let hint = field
            .help
            .map(|help| view! { <p id=hint_id.clone() class="hint">{help.get(locale)}</p> });
        let error = problem.map(|p| {
            view! { <p id=error_id.clone() class="field-error">{p.message(locale, label)}</p> }
        });
        let aria_invalid = invalid.then_some("true");
        let input = match field.input {
            Input::Select(options) => view! {
                <label for=field.name>{label}</label>
                <select id=field.name name=field.name aria-invalid=aria_invalid aria-describedby=described>
                    {options.iter().map(|(v, label)| {
                        let selected = *v == value;
                        view! { <option value=*v selected=selected>{label.get(locale)}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any(),
            Input::Radio(options) => view! {
                <fieldset class="choices" aria-describedby=described>
                    <legend>{label}</legend>
                    {options.iter().map(|(v, label)| {
                        let id = format!("{}-{}", field.name, v);
                        let for_id = id.clone();
                        let checked = *v == value;
                        view! {
                            <label class="choice" for=for_id>
                                <input type="radio" id=id name=field.name value=*v checked=checked/>
                                {label.get(locale)}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
            .into_any(),
            Input::Checkbox => {
                let checked = value == "on";
                view! {
                    <label class="choice" for=field.name>
                        <input type="checkbox" id=field.name name=field.name value="on" checked=checked
                            aria-describedby=described/>
                        {label}
                    </label>
                }
                .into_any()
            }
            Input::Text | Input::Email | Input::Secret | Input::Number => {
                let (kind, inputmode) = match field.input {
                    Input::Email => ("email", None),
                    Input::Secret => ("password", None),
                    Input::Number => ("text", Some("numeric")),
                    _ => ("text", None),
                };
                let secret = field.secret();
                view! {
                    <label for=field.name>{label}</label>
                    <div class="input-row">
                        <input id=field.name name=field.name type=kind inputmode=inputmode
                            autocomplete=field.autocomplete required=field.required maxlength=field.max_len
                            value=(!secret).then_some(value) aria-invalid=aria_invalid
                            aria-describedby=described spellcheck="false" autocapitalize="none"
                            data-secret=secret.then_some("true")/>
                        {secret.then(|| view! { <RevealToggle input=field.name label/> })}
                    </div>
                }
                .into_any()
            }
        };
        view! { <div class="field">{input}{hint}{error}</div> }.into_any()
    }
}

/// A reconnect, state or return-address parameter that cannot be used: no form, what is wrong, a way out.
#[component]
fn InvalidLink(provider: &'static Provider, code: ErrorCode) -> impl IntoView {
    let locale = crate::text::locale();
    view! {
        <StepHeading>{fill(td_string!(locale, form.connect_heading), &[("provider", provider.label.get(locale))])}</StepHeading>
        <NoticeView provider notice=Some(Notice::new(code))/>
        <p><a class="button" href=format!("/connect/{}", provider.id) rel="external">{td_string!(locale, form.new_account)}</a></p>
        <p class="back"><a href="/">{td_string!(locale, form.other_provider)}</a></p>
    }
}

/// Fills an empty "user agent" field with this browser's (the server already fills it from the request
/// when it can).
#[component]
fn UserAgentPrefill() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        use leptos::wasm_bindgen::JsCast;
        let Some(input) = document()
            .get_element_by_id("user_agent")
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if input.value().is_empty() {
            if let Ok(agent) = window().navigator().user_agent() {
                input.set_value(&agent);
            }
        }
    });
}

/// "Show" / "Hide" beside a secret field. It needs JavaScript, so it appears only once the page is live.
#[component]
pub fn RevealToggle(input: &'static str, label: &'static str) -> impl IntoView {
    let locale = crate::text::locale();
    let show_label = fill(
        td_string!(locale, form.show_field),
        &[("label", &label.to_lowercase())],
    );
    let live = RwSignal::new(false);
    let shown = RwSignal::new(false);
    Effect::new(move || live.set(true));
    let toggle = move |_| {
        let show = !shown.get_untracked();
        shown.set(show);
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().get_element_by_id(input) {
            let _ = el.set_attribute("type", if show { "text" } else { "password" });
        }
    };
    move || {
        live.get().then(|| {
            view! {
                <button type="button" class="reveal" aria-controls=input aria-pressed=move || shown.get().to_string()
                    aria-label=show_label.clone() on:click=toggle>
                    {td_string!(locale, form.show)}
                </button>
            }
        })
    }
}
