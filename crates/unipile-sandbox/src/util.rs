use std::time::{SystemTime, UNIX_EPOCH};

use rand::distr::Alphanumeric;
use rand::Rng;

pub(crate) fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A pairing code as a provider shows it: two groups of four, without the characters that are easy
/// to misread (0 and O, 1 and I).
pub(crate) fn pairing_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let mut group = || -> String {
        (0..4)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect()
    };
    format!("{}-{}", group(), group())
}

/// Current time as RFC 3339 UTC with milliseconds, like Unipile's `created_at`.
pub(crate) fn now_rfc3339() -> String {
    // A clock before 1970 is not worth failing a sandbox answer for.
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since_epoch.as_secs(), since_epoch.subsec_millis())
}

/// Formats Unix seconds (days-to-civil conversion from Howard Hinnant's date algorithms).
fn rfc3339(secs: u64, millis: u32) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);

    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_735_689_599, 999), "2024-12-31T23:59:59.999Z");
    }

    #[test]
    fn pairing_codes_are_two_groups_of_four_easy_to_read() {
        let code = pairing_code();
        let (first, second) = code.split_once('-').unwrap_or_default();
        for group in [first, second] {
            assert_eq!(group.len(), 4, "{code}");
            assert!(
                group
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{code}"
            );
            assert!(!group.contains(['0', 'O', '1', 'I']), "{code}");
        }
    }

    #[test]
    fn ids_are_alphanumeric() {
        let id = random_id(16);
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
