//! The providers a user can link, as data both the server and the browser read.

/// How the form's username and password become Unipile credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialShape {
    /// `{username, password}`
    UsernamePassword,
    /// IMAP: `{user, password}`; Unipile detects the mail servers.
    MailboxPassword,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Our id, used in URLs (`/connect/{id}`) and in `Leptos.toml`.
    pub id: &'static str,
    pub label: &'static str,
    /// The `provider` value sent to Unipile unless settings override it.
    pub default_unipile_id: &'static str,
    pub username_label: &'static str,
    pub username_type: &'static str,
    pub username_hint: &'static str,
    pub shape: CredentialShape,
}

pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "linkedin",
        label: "LinkedIn",
        default_unipile_id: "linkedin",
        username_label: "Email or phone",
        username_type: "text",
        username_hint: "The email address or phone number you sign in to LinkedIn with.",
        shape: CredentialShape::UsernamePassword,
    },
    Provider {
        id: "instagram",
        label: "Instagram",
        default_unipile_id: "instagram",
        username_label: "Username",
        username_type: "text",
        username_hint: "Your Instagram username, phone number or email.",
        shape: CredentialShape::UsernamePassword,
    },
    Provider {
        id: "messenger",
        label: "Messenger",
        default_unipile_id: "messenger",
        username_label: "Email or phone",
        username_type: "text",
        username_hint: "The email address or phone number of your Facebook account.",
        shape: CredentialShape::UsernamePassword,
    },
    Provider {
        id: "x",
        label: "X (Twitter)",
        default_unipile_id: "twitter",
        username_label: "Username, email or phone",
        username_type: "text",
        username_hint: "The username, email address or phone number of your X account.",
        shape: CredentialShape::UsernamePassword,
    },
    Provider {
        id: "imap",
        label: "IMAP e-mail",
        default_unipile_id: "imap",
        username_label: "Email address",
        username_type: "email",
        username_hint: "The address of the mailbox to link.",
        shape: CredentialShape::MailboxPassword,
    },
];

pub fn find(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// Longest username or password we accept; longer input is refused before any call upstream.
pub const MAX_FIELD_LEN: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

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
}
