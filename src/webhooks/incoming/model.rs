//! The `incoming_hooks` table.
pub mod hook {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "incoming_hooks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub workspace_id: Uuid,
        pub channel_id: Uuid,
        /// The identity the hook posts as.
        pub bot_user_id: Uuid,
        pub name: String,
        pub avatar_url: Option<String>,
        pub token_hash: String,
        pub token_prefix: String,
        /// Sealed (auth::sealed) signing secret for the native converters.
        pub secret_sealed: Option<String>,
        pub created_by: Uuid,
        pub created_at: i64,
        pub rotated_at: Option<i64>,
        pub last_used_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
