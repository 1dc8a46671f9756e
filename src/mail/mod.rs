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

/// The text part of a mail: the fields of its HTML part (reached through Deref),
/// rendered with a template of its own.
macro_rules! text_part {
    ($name:ident = $path:literal, $html:ident) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a>(&'a $html<'a>);

        impl<'a> std::ops::Deref for $name<'a> {
            type Target = $html<'a>;
            fn deref(&self) -> &Self::Target {
                self.0
            }
        }
    };
}
pub(crate) use text_part;
