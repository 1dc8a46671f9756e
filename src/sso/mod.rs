//! Single sign-on through the identity providers a company already runs: OpenID Connect
//! (discovery, PKCE, every ID token check) and plain OAuth2; people linked by issuer and
//! subject, created on first sign-in where allowed, given workspaces and roles by rules
//! from the configuration at every sign-in; each workspace's sign-in policy.
pub mod attempt;
pub mod claims;
pub mod failure;
pub mod flow;
pub mod identity;
pub mod inactive;
pub mod logout;
pub mod model;
pub mod oauth2_plain;
pub mod oidc;
pub mod policy;
pub mod provider;
pub mod routes;
pub mod rules;
pub mod settings;
pub mod token_check;
pub mod userinfo;
