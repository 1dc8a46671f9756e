//! The `bots` table: which users are bots (or a hook's identity), whose, and where.
pub mod bot {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub workspace_id: Uuid,
        /// `bot`, `hook` or `system`.
        pub kind: String,
        pub owner_id: Uuid,
        pub description: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const KIND_BOT: &str = "bot";
pub const KIND_HOOK: &str = "hook";
/// The workspace's own voice ("Parley"): tells people about their integrations.
pub const KIND_SYSTEM: &str = "system";
