//! The `staged_uploads` table: a file sent the Slack way, waiting for its channel.
pub mod staged {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staged_uploads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub name: String,
        pub declared_size: i64,
        pub token_hash: String,
        pub storage_key: String,
        pub size: Option<i64>,
        pub sha256: Option<String>,
        pub content_type: Option<String>,
        pub discard_job_id: Uuid,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
