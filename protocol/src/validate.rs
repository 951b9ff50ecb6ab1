//! Input rules shared by the server (which enforces them) and the browser (which shows them early).
//!
//! Each check returns the cleaned value or a message for the field.

use crate::error::FieldErrors;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const TITLE_MAX: usize = 120;
pub const DURATION_MIN: u32 = 5;
pub const DURATION_MAX: u32 = 24 * 60;
pub const PARTICIPANTS_MIN: u32 = 2;
pub const PARTICIPANTS_MAX: u32 = 100;
/// A new meeting's length and size when the host leaves them out (server) or untouched (form).
pub const DURATION_DEFAULT: u32 = 60;
pub const PARTICIPANTS_DEFAULT: u32 = 50;
pub const MEETING_PASSWORD_MIN: usize = 4;
pub const MEETING_PASSWORD_MAX: usize = 64;

/// Trimmed and lower-cased, so `Ann@Example.com ` and `ann@example.com` are one account.
pub fn email(input: &str) -> Result<String, String> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err("Enter your email address.".into());
    }
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err("Enter a valid email address, like name@example.com.".into())
    }
}

pub fn password(input: &str) -> Result<(), String> {
    let n = input.chars().count();
    if n < PASSWORD_MIN {
        Err(format!("Use at least {PASSWORD_MIN} characters."))
    } else if n > PASSWORD_MAX {
        Err(format!("Use at most {PASSWORD_MAX} characters."))
    } else {
        Ok(())
    }
}

pub fn display_name(input: &str) -> Result<String, String> {
    single_line(input, DISPLAY_NAME_MAX, "Enter your name.")
}

pub fn title(input: &str) -> Result<String, String> {
    single_line(input, TITLE_MAX, "Give the meeting a title.")
}

pub fn duration_minutes(minutes: u32) -> Result<u32, String> {
    if (DURATION_MIN..=DURATION_MAX).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(format!(
            "Choose between {DURATION_MIN} and {DURATION_MAX} minutes."
        ))
    }
}

pub fn max_participants(n: u32) -> Result<u32, String> {
    if (PARTICIPANTS_MIN..=PARTICIPANTS_MAX).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "Choose between {PARTICIPANTS_MIN} and {PARTICIPANTS_MAX} participants."
        ))
    }
}

/// `None` for an empty password (the meeting has none).
pub fn meeting_password(input: &str) -> Result<Option<String>, String> {
    if input.is_empty() {
        return Ok(None);
    }
    let n = input.chars().count();
    if !(MEETING_PASSWORD_MIN..=MEETING_PASSWORD_MAX).contains(&n) {
        return Err(format!(
            "Use {MEETING_PASSWORD_MIN} to {MEETING_PASSWORD_MAX} characters, or leave it empty."
        ));
    }
    Ok(Some(input.to_owned()))
}

/// Unicode format characters (general category Cf): direction overrides and isolates, zero-width
/// spaces and joiners, the BOM, tags. Invisible, and able to make a name read as another.
pub fn is_format_char(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Pictographs that emoji sequences are built from (an approximation of Unicode's
/// `Extended_Pictographic`, UTS #51): the symbol and pictograph blocks, and the older symbols
/// that have an emoji presentation.
fn is_pictograph(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00A9
            | 0x00AE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x2194..=0x21AA
            | 0x2300..=0x23FF
            | 0x24C2
            | 0x25AA..=0x25FE
            | 0x2600..=0x27BF
            | 0x2934..=0x2935
            | 0x2B05..=0x2B55
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
            | 0x1F000..=0x1FAFF
    )
}

/// What may sit between a pictograph and a joiner: variation selectors, skin tones, and the
/// combining keycap.
fn is_emoji_modifier(c: char) -> bool {
    matches!(u32::from(c), 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3)
}

/// A format character (`is_format_char`) that is not part of an emoji sequence. Allowed: the
/// zero-width joiner between two pictographs (👩‍💻, 👨‍👩‍👧, 🏳️‍🌈) and the tag characters of a
/// subdivision flag (🏴 + tags + cancel tag). Everything else — direction overrides, isolates,
/// marks, zero-width spaces, a lone joiner — can make a text read as another and is refused.
pub fn has_stray_format_char(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\u{200D}' {
            let before = chars[..i]
                .iter()
                .rev()
                .find(|c| !is_emoji_modifier(**c))
                .is_some_and(|c| is_pictograph(*c));
            let after = chars.get(i + 1).is_some_and(|c| is_pictograph(*c));
            if !(before && after) {
                return true;
            }
        } else if c == '\u{1F3F4}' && chars.get(i + 1).is_some_and(|c| is_tag(*c)) {
            // A flag's tag run: tag letters or digits, closed by the cancel tag.
            let run = chars[i + 1..].iter().take_while(|c| is_tag(**c)).count();
            let tags = &chars[i + 1..i + 1 + run];
            let closed = tags.last() == Some(&'\u{E007F}')
                && tags[..run - 1].iter().all(|c| *c != '\u{E007F}');
            if !closed || run < 2 {
                return true;
            }
            i += run;
        } else if is_format_char(c) {
            return true;
        }
        i += 1;
    }
    false
}

fn is_tag(c: char) -> bool {
    matches!(u32::from(c), 0xE0020..=0xE007F)
}

fn single_line(input: &str, max: usize, empty_message: &str) -> Result<String, String> {
    let value = input.trim();
    if value.is_empty() {
        Err(empty_message.into())
    } else if value.chars().count() > max {
        Err(format!("Use at most {max} characters."))
    } else if value.chars().any(char::is_control) {
        Err("Use a single line without control characters.".into())
    } else if has_stray_format_char(value) {
        Err("Remove invisible formatting characters (such as direction marks or zero-width spaces).".into())
    } else {
        Ok(value.to_owned())
    }
}

/// Collects field errors while checking a request; `finish` fails if any were recorded.
#[derive(Debug, Default)]
pub struct Checker {
    errors: FieldErrors,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error under `field` and returns the value when it passed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.errors.entry(field.to_owned()).or_insert(message);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_insert(message.into());
    }

    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_invisible_formatting() {
        for bad in [
            "Ann\u{202E}nimda",
            "Bo\u{200B}b",
            "\u{2066}Cy\u{2069}",
            "Di\u{FEFF}",
            "E\u{E0041}d",
        ] {
            assert!(display_name(bad).is_err(), "{bad:?}");
            assert!(title(bad).is_err(), "{bad:?}");
        }
        assert_eq!(display_name("Zoë Ångström 李").unwrap(), "Zoë Ångström 李");
        assert!(display_name("Ann 👋").is_ok());
    }

    #[test]
    fn names_keep_emoji_sequences_and_refuse_lone_joiners() {
        for good in [
            "Bob 👩‍💻",
            "Bob 👨‍👩‍👧",
            "Cy 🏳️‍🌈",
            "Di 👍🏽",
            "Ed 🧑🏽‍🚀",
            "Flo 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        ] {
            assert_eq!(display_name(good).as_deref(), Ok(good), "{good:?}");
        }
        for bad in [
            "Bo\u{200D}b",
            "Bob \u{200D}👩",
            "Bob 👩\u{200D}",
            "Bob 👩\u{200D}\u{202E}💻",
            "Flo 🏴\u{E0067}\u{E0062}",
            "Flo \u{E0067}\u{E007F}",
        ] {
            assert!(display_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn email_is_normalised() {
        assert_eq!(email("  Ann@Example.COM ").unwrap(), "ann@example.com");
    }

    #[test]
    fn email_rejects_malformed() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn password_length_is_enforced() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password(&"x".repeat(PASSWORD_MAX + 1)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_single_line() {
        assert_eq!(display_name("  Ann  ").unwrap(), "Ann");
        assert!(display_name("   ").is_err());
        assert!(display_name("a\u{0}b").is_err());
        assert!(title(&"t".repeat(TITLE_MAX + 1)).is_err());
    }

    #[test]
    fn meeting_settings_have_ranges() {
        assert!(duration_minutes(4).is_err());
        assert!(duration_minutes(60).is_ok());
        assert!(max_participants(1).is_err());
        assert!(max_participants(101).is_err());
        assert_eq!(meeting_password("").unwrap(), None);
        assert!(meeting_password("abc").is_err());
    }

    #[test]
    fn checker_collects_first_error_per_field() {
        let mut c = Checker::new();
        assert_eq!(c.check("email", email("x")), None);
        c.add("email", "second");
        assert_eq!(c.check("password", password("long enough")), Some(()));
        let errors = c.finish().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors["email"].starts_with("Enter a valid"));
    }
}
