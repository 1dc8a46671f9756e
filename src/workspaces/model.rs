//! Workspaces, their members and invitation links.
pub mod workspace {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workspaces")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub slug: String,
        pub created_by: Uuid,
        pub created_at: i64,
        /// Members (not only admins) may create incoming webhooks in their channels.
        pub members_create_hooks: bool,
        /// password_and_sso, or sso_only (members other than instance admins sign in
        /// through a provider).
        pub sign_in_policy: String,
        /// Messages (and their files) older than this many days are deleted; None: kept.
        pub retention_days: Option<i32>,
        /// Guests may be invited or made here.
        pub guests_allowed: bool,
        /// Its own file quota; None: the server's; 0: none.
        pub storage_quota_bytes: Option<i64>,
        /// Archived: read-only for everyone until unarchived.
        pub archived_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workspace_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub workspace_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub role: String,
        pub joined_at: i64,
        pub deactivated_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod invite {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "invites")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub workspace_id: Uuid,
        pub token_hash: String,
        pub email: Option<String>,
        pub role: String,
        pub created_by: Uuid,
        pub created_at: i64,
        pub expires_at: i64,
        pub max_uses: i32,
        pub uses: i32,
        pub revoked_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
