use crate::{
    error::AppError,
    model::{FlowStep, Secret},
};
use leptos::prelude::*;

/// Longest code a user may type.
#[cfg(feature = "ssr")]
const MAX_CODE_LEN: usize = 64;
/// Longest CAPTCHA token accepted: Arkose session tokens run to a few hundred characters.
#[cfg(feature = "ssr")]
const MAX_TOKEN_LEN: usize = 4096;

/// The code as the provider expects it: trimmed and, when it is digits grouped by spaces or dashes (as an SMS
/// or an authenticator app shows it, and as it is often pasted: "123 456", "123-456"), the digits alone.
/// Anything else (a CAPTCHA token, a code with letters) is only trimmed.
#[cfg(feature = "ssr")]
fn as_typed(code: &str) -> String {
    let code = code.trim();
    let grouped_digits = code.chars().any(|c| c.is_ascii_digit())
        && code.chars().all(|c| {
            c.is_ascii_digit() || c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}')
        });
    if grouped_digits {
        code.chars().filter(char::is_ascii_digit).collect()
    } else {
        code.to_owned()
    }
}

/// Sends the code typed on a code checkpoint, or the token of a solved CAPTCHA. The intent comes from the
/// flow cookie, never from the page.
#[server(endpoint = "solve_checkpoint")]
pub async fn solve_checkpoint(
    provider: String,
    flow: String,
    code: Secret,
) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        server::flow as service,
    };
    let code = Secret::from(as_typed(code.expose()));
    super::on_checkpoint(&provider, &flow, |app, provider, mut current| async move {
        let max_len = match &current.step {
            FlowStep::Checkpoint(view)
                if matches!(view.kind, crate::model::CheckpointKind::Captcha { .. }) =>
            {
                MAX_TOKEN_LEN
            }
            _ => MAX_CODE_LEN,
        };
        if code.expose().is_empty() || code.expose().len() > max_len {
            current.step = current
                .step
                .with_notice(Notice::new(ErrorCode::InvalidCode));
            return current;
        }
        service::solve(&app, provider, current, &code).await
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::as_typed;

    #[test]
    fn grouped_digits_lose_their_spaces_and_dashes_and_nothing_else_changes() {
        assert_eq!(as_typed(" 123456 "), "123456");
        assert_eq!(as_typed("123 456"), "123456");
        assert_eq!(as_typed("123-456"), "123456");
        assert_eq!(as_typed("12\u{a0}34\u{2009}56"), "123456");
        assert_eq!(as_typed("123\u{2013}456"), "123456");
        // A CAPTCHA token or a code with letters is kept as it is, only trimmed.
        assert_eq!(
            as_typed(" 12345.678|r=eu-west-1|meta=3 "),
            "12345.678|r=eu-west-1|meta=3"
        );
        assert_eq!(as_typed("AB-12 3"), "AB-12 3");
        assert_eq!(as_typed("- -"), "- -");
        assert_eq!(as_typed(""), "");
    }
}
