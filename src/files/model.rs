//! The `files` table.
pub mod file {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub workspace_id: Uuid,
        pub channel_id: Uuid,
        pub uploader_id: Uuid,
        /// Set once a message carries the file; until then only the uploader sees it.
        pub message_id: Option<Uuid>,
        /// `pending` while the bytes stream in, then `ready`.
        pub state: String,
        pub name: String,
        /// Sniffed from the bytes, never taken from the client.
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub storage_key: String,
        pub width: Option<i32>,
        pub height: Option<i32>,
        pub thumb_state: String,
        pub thumb_width: Option<i32>,
        pub thumb_height: Option<i32>,
        pub thumb_content_type: Option<String>,
        pub discard_job_id: Option<Uuid>,
        pub created_at: i64,
        pub deleted_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    pub const PENDING: &str = "pending";
    pub const READY: &str = "ready";

    pub mod thumb {
        pub const NONE: &str = "none";
        pub const QUEUED: &str = "queued";
        pub const READY: &str = "ready";
        pub const FAILED: &str = "failed";
    }

    impl Model {
        pub fn thumbnail_key(&self) -> String {
            format!("{}.thumb", self.storage_key)
        }
    }
}
