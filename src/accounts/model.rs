//! The `users` table.
pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub username: String,
        pub display_name: String,
        pub password_hash: Option<String>,
        pub is_admin: bool,
        pub status_text: Option<String>,
        pub status_emoji: Option<String>,
        pub status_expires_at: Option<i64>,
        pub preferences: String,
        pub deactivated_at: Option<i64>,
        /// Do-not-disturb, set by the user (presence).
        pub dnd: bool,
        /// Away, chosen by the user (shown even while their sockets are active).
        pub away: bool,
        /// How often missed notifications are mailed: after_delay, immediately, hourly, never.
        pub email_frequency: String,
        /// For after_delay: minutes to wait; NULL: the server's `email.delay_minutes`.
        pub email_delay_minutes: Option<i32>,
        pub created_at: i64,
        /// A bot or the identity of an incoming webhook, not a person.
        pub is_bot: bool,
        pub avatar_url: Option<String>,
        pub updated_at: i64,
        /// When the holder last proved they receive mail at `email` (a mailed link, an
        /// invitation made out to it, an identity provider vouching for it); NULL: never.
        pub email_confirmed_at: Option<i64>,
        /// Bumped by triggers when one of the person's sessions or tokens is deleted, cut
        /// short or changed: cached credentials carrying an older version are dropped.
        pub auth_version: i64,
        /// When the person last signed in or used a session or token (minute precision).
        pub last_active_at: Option<i64>,
        /// What they wrote is kept whatever the retention policy says.
        pub legal_hold: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An address change waiting for the link mailed to the new address.
pub mod email_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub new_email: String,
        pub token_hash: String,
        pub expires_at: i64,
        pub used_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
