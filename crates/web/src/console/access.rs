//! Who may call which console route, as a pure function of the session's role: supervisors and
//! admins reach the console, only admins its admin routes. Every route states what it needs.

use axum::http::StatusCode;
use callbridge_store::Role;

use crate::account::ApiError;

/// What a route needs of the signed-in account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A supervisor or an admin.
    Staff,
    /// An admin.
    Admin,
}

/// Why a role may not call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An agent account: the console is not for agents.
    NotStaff,
    /// A supervisor at an admin route.
    NotAdmin,
}

pub fn check(role: Role, need: Need) -> Result<(), Refusal> {
    match (role, need) {
        (Role::Agent, _) => Err(Refusal::NotStaff),
        (Role::Supervisor, Need::Admin) => Err(Refusal::NotAdmin),
        (Role::Supervisor, Need::Staff) | (Role::Admin, _) => Ok(()),
    }
}

impl Refusal {
    pub fn error(self, role: Role) -> ApiError {
        match self {
            Refusal::NotStaff => ApiError::new(
                StatusCode::FORBIDDEN,
                "not_staff",
                format!(
                    "the console is for supervisors and admins, and this is a{} {role} account; agents use the softphone",
                    if role == Role::Agent { "n" } else { "" }
                ),
            ),
            Refusal::NotAdmin => ApiError::new(
                StatusCode::FORBIDDEN,
                "not_an_admin",
                format!(
                    "this route is for admins, and this is a {role} account; ask an admin of your tenant"
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_reach_everything_supervisors_the_staff_routes_agents_nothing() {
        assert_eq!(check(Role::Admin, Need::Admin), Ok(()));
        assert_eq!(check(Role::Admin, Need::Staff), Ok(()));
        assert_eq!(check(Role::Supervisor, Need::Staff), Ok(()));
        assert_eq!(check(Role::Supervisor, Need::Admin), Err(Refusal::NotAdmin));
        assert_eq!(check(Role::Agent, Need::Staff), Err(Refusal::NotStaff));
        assert_eq!(check(Role::Agent, Need::Admin), Err(Refusal::NotStaff));
    }

    #[test]
    fn refusals_say_which_role_the_account_has_and_what_to_do() {
        let e = Refusal::NotAdmin.error(Role::Supervisor);
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, "not_an_admin"));
        assert!(e.message.contains("supervisor account"), "{}", e.message);
        let e = Refusal::NotStaff.error(Role::Agent);
        assert_eq!(e.code, "not_staff");
        assert!(e.message.contains("an agent account"), "{}", e.message);
    }
}
