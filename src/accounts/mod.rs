//! People: accounts, profiles, custom status and preferences.
pub mod activation;
pub mod email_change;
pub mod mails;
pub mod model;
pub mod routes;
pub mod service;
pub mod view;
