//! Channels (public, private, direct, group direct) and their members.
pub mod channel {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub workspace_id: Uuid,
        pub kind: String,
        pub name: Option<String>,
        pub dm_key: Option<String>,
        pub topic: String,
        pub purpose: String,
        pub created_by: Uuid,
        pub created_at: i64,
        pub archived_at: Option<i64>,
        pub last_seq: i64,
        pub last_message_at: Option<i64>,
        /// None: the workspace's retention; 0: kept forever; N: N days.
        pub retention_days: Option<i32>,
        /// Kept whatever the retention policy says.
        pub legal_hold: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub role: String,
        pub joined_at: i64,
        pub last_read_seq: i64,
        pub muted: bool,
        pub notify_level: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
