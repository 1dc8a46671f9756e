//! The `outgoing_hooks`, `webhook_deliveries` and `webhook_attempts` tables.
pub mod hook {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outgoing_hooks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub workspace_id: Uuid,
        /// None: every public channel of the workspace.
        pub channel_id: Option<Uuid>,
        /// The identity replies are posted as.
        pub bot_user_id: Uuid,
        pub name: String,
        pub url: String,
        /// JSON array of event types.
        pub events: String,
        /// JSON array of words a message must start with.
        pub trigger_words: Option<String>,
        pub prefix: Option<String>,
        pub secret_sealed: String,
        pub previous_secret_sealed: Option<String>,
        pub previous_secret_until: Option<i64>,
        pub ordered: bool,
        pub enabled: bool,
        pub disabled_reason: Option<String>,
        pub consecutive_failures: i32,
        pub failing_since: Option<i64>,
        pub created_by: Uuid,
        pub created_at: i64,
        pub last_delivery_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hook_id: Uuid,
        pub event_type: String,
        pub payload: String,
        pub event_pos: Option<i64>,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: i64,
        pub job_id: Option<Uuid>,
        pub created_at: i64,
        pub finished_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub delivery_id: Uuid,
        pub hook_id: Uuid,
        pub at: i64,
        pub status: Option<i32>,
        pub latency_ms: i32,
        pub response_excerpt: Option<String>,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
