//! Authentication: passwords, sessions, API tokens, throttling, first-run setup.
pub mod api_tokens;
pub mod client_ip;
pub mod credentials;
pub mod current_user;
pub mod model;
pub mod password;
pub mod password_reset;
pub mod password_reset_routes;
pub mod routes;
pub mod sealed;
pub mod secret_token;
pub mod sessions;
pub mod setup;
pub mod signed_link;
pub mod signup;
pub mod throttle;

pub use current_user::{CurrentUser, InstanceAdmin};
