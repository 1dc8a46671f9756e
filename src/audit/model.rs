//! The append-only audit log.
pub mod entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: i64,
        pub actor_id: Option<Uuid>,
        pub workspace_id: Option<Uuid>,
        pub action: String,
        pub target_kind: Option<String>,
        pub target_id: Option<Uuid>,
        pub details: String,
        pub ip: Option<String>,
        /// The User-Agent of the request that made the change.
        pub client: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
