//! Creating accounts outside a request: from the CLI, from the agents a configuration lists,
//! and the demo's. Passwords are hashed here; a generated one is handed back once for the
//! caller to show, and never logged.

use callbridge_kernel::ids::AgentName;
use callbridge_store::{NewAccount, Role, Store};
use time::OffsetDateTime;

use super::password;

/// An account to make.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub tenant: String,
    pub user: String,
    pub display_name: String,
    pub role: Role,
}

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{0:?} is not a user name: use 1-64 letters, digits, '.', '_', '-' or '@'")]
    BadUser(String),
    #[error("tenant {tenant} already has a user {user}; pick another name, or reset that account's password with `callbridge account reset-password`")]
    Duplicate { tenant: String, user: String },
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Store(#[from] callbridge_store::StoreError),
}

/// Checks a user name: the same rule as agent names, so an agent account's user name is its
/// agent name.
pub fn check_user(user: &str) -> Result<(), ProvisionError> {
    AgentName::parse(user)
        .map(|_| ())
        .map_err(|_| ProvisionError::BadUser(user.to_string()))
}

/// Creates `wanted` with `password` (checked for length). [`ProvisionError::Duplicate`] if the
/// tenant already has that user.
pub async fn create(store: &Store, wanted: &Wanted, password: &str) -> Result<(), ProvisionError> {
    check_user(&wanted.user)?;
    password::check_new(password)?;
    let hash = hash_off_thread(password).await;
    let created = store
        .create_account(
            NewAccount {
                tenant: &wanted.tenant,
                user_name: &wanted.user,
                display_name: &wanted.display_name,
                role: wanted.role,
                password_hash: &hash,
            },
            OffsetDateTime::now_utc(),
        )
        .await?;
    if !created {
        return Err(ProvisionError::Duplicate {
            tenant: wanted.tenant.clone(),
            user: wanted.user.clone(),
        });
    }
    Ok(())
}

/// Creates each of `wanted` that does not exist yet, with a generated one-time password;
/// existing accounts are left as they are. The created ones with their passwords.
pub async fn ensure(
    store: &Store,
    wanted: &[Wanted],
) -> Result<Vec<(Wanted, String)>, ProvisionError> {
    let mut created = Vec::new();
    for w in wanted {
        if store.account(&w.tenant, &w.user).await?.is_some() {
            continue;
        }
        let one_time = password::generate();
        match create(store, w, &one_time).await {
            Ok(()) => created.push((w.clone(), one_time)),
            // Made by another process meanwhile: it is theirs to show.
            Err(ProvisionError::Duplicate { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(created)
}

/// Sets a new password; `false` if there is no such account. Ends the account's sessions.
pub async fn reset_password(
    store: &Store,
    tenant: &str,
    user: &str,
    password: &str,
) -> Result<bool, ProvisionError> {
    password::check_new(password)?;
    let hash = hash_off_thread(password).await;
    Ok(store
        .set_password_hash(tenant, user, &hash, OffsetDateTime::now_utc())
        .await?)
}

async fn hash_off_thread(password: &str) -> String {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .expect("hashing does not panic")
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_store::SecretKey;

    fn agent(user: &str) -> Wanted {
        Wanted {
            tenant: "acme".into(),
            user: user.into(),
            display_name: user.into(),
            role: Role::Agent,
        }
    }

    #[tokio::test]
    async fn configured_agents_get_an_account_once_and_existing_ones_are_left_alone() {
        let store = Store::open("sqlite::memory:", SecretKey::generate())
            .await
            .unwrap();
        create(&store, &agent("alice"), "alice's own password")
            .await
            .unwrap();
        let made = ensure(&store, &[agent("alice"), agent("bob")])
            .await
            .unwrap();
        assert_eq!(made.len(), 1);
        let (bob, one_time) = &made[0];
        assert_eq!(bob.user, "bob");
        let stored = store.account("acme", "bob").await.unwrap().unwrap();
        assert!(password::verify(Some(&stored.password_hash), one_time));
        let alice = store.account("acme", "alice").await.unwrap().unwrap();
        assert!(password::verify(
            Some(&alice.password_hash),
            "alice's own password"
        ));
        assert!(ensure(&store, &[agent("alice"), agent("bob")])
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            create(&store, &agent("bob"), "another password").await,
            Err(ProvisionError::Duplicate { .. })
        ));
        assert!(matches!(
            create(&store, &agent("not valid"), "another password").await,
            Err(ProvisionError::BadUser(_))
        ));
        store.close().await;
    }
}
