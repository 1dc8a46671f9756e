//! The durable job queue's rows.
pub mod job {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub payload: String,
        /// `queued`, `running` or `failed` (attempts exhausted). Finished jobs are deleted.
        pub state: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub run_at: i64,
        pub locked_until: Option<i64>,
        pub last_error: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
