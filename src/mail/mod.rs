//! Mail: composing a message (headers, text and HTML parts), keeping it in the `mails`
//! table with the job that sends it, and the transport it goes out through — `.eml`
//! files in the data directory by default, SMTP in production. What to mail and when
//! is decided elsewhere (notify::email, accounts).
pub mod compose;
pub mod model;
pub mod outbox;
pub mod routes;
pub mod settings;
pub mod transport;
