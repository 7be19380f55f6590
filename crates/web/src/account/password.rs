//! Passwords: Argon2id hashes in PHC string form, and one-time passwords for new accounts.
//!
//! Verifying a user who does not exist (or is disabled) spends the same time as a wrong
//! password: it verifies against a hash of a random password made once with the same
//! parameters, so the answer's timing does not tell which user names exist.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng as _;

/// The shortest password an account may be given.
pub const MIN_LENGTH: usize = 12;
/// The longest (Argon2 takes any length; this bounds the work one request can ask for).
pub const MAX_LENGTH: usize = 1024;

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommendation).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Why a password cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: use at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password is too long: use at most {MAX_LENGTH} bytes")]
    TooLong,
}

/// Whether `password` may be set on an account.
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// The Argon2id hash of `password` with a fresh random salt. Slow on purpose (tens of
/// milliseconds): call it off the async threads.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::thread_rng());
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches `stored` (a PHC string). A stored value that is not a valid
/// hash matches nothing. `None` verifies against a stand-in hash, taking the same time and
/// answering `false`: for an unknown or disabled user.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let password = if password.len() > MAX_LENGTH {
        &password[..0]
    } else {
        password
    };
    let (stored, real) = match stored {
        Some(s) => (s, true),
        None => (stand_in(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        // Still spend the time, so a corrupt row looks like any wrong password.
        let _ = PasswordHash::new(stand_in())
            .map(|h| argon2().verify_password(password.as_bytes(), &h));
        return false;
    };
    let matched = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matched && real
}

fn stand_in() -> &'static str {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    STAND_IN.get_or_init(|| hash(&generate()))
}

/// A one-time password for a new account: 20 characters from an alphabet without look-alikes
/// (about 115 bits), easy to read out and type once.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify(Some(&stored), "correct horse battery"));
        assert!(!verify(Some(&stored), "correct horse batterz"));
        assert!(!verify(Some("not a hash"), "correct horse battery"));
        assert!(!verify(None, "correct horse battery"));
        assert_ne!(hash("same"), hash("same"), "salted");
    }

    #[test]
    fn an_unknown_user_costs_the_same_argon2_work_as_a_wrong_password() {
        // Equal work, checked by its inputs rather than by a stopwatch: the stand-in verified for
        // an unknown user is an Argon2id hash with exactly the parameters (memory, passes,
        // lanes) and output length of a real account's hash.
        let real = hash("correct horse battery");
        let real = PasswordHash::new(&real).unwrap();
        let stand_in = PasswordHash::new(stand_in()).unwrap();
        assert_eq!(stand_in.algorithm, real.algorithm);
        assert_eq!(stand_in.version, real.version);
        assert_eq!(stand_in.params, real.params);
        assert_eq!(stand_in.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify(None, "correct horse battery"));
    }

    #[test]
    fn new_passwords_are_long_enough_and_generated_ones_are() {
        assert_eq!(check_new("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_new(&"x".repeat(MAX_LENGTH + 1)),
            Err(PasswordError::TooLong)
        );
        assert!(check_new("twelve chars").is_ok());
        let one = generate();
        assert_eq!(one.len(), 20);
        assert!(check_new(&one).is_ok());
        assert_ne!(one, generate());
    }
}
