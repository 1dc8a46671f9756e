//! The `mails` table: every mail Parley sends, kept until it is handed over.
pub mod mail {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mails")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        pub user_id: Option<Uuid>,
        pub to_address: String,
        pub subject: String,
        pub raw: String,
        pub state: String,
        pub attempts: i32,
        pub last_error: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub sent_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const PARKED: &str = "parked";
