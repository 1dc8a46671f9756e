//! Parley's schema, as sea-orm migrations: the only place the schema changes.
pub use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_realtime;
mod m0003_files;
mod m0004_search;
mod m0005_integrations;
mod m0006_staged_uploads;
mod m0007_outgoing_webhooks;
mod m0008_slash_commands;
mod m0009_manual_away;
mod m0010_email;
mod m0011_sso;
mod m0012_email_confirmed;
mod m0013_auth_version;
mod m0014_search_author_index;
mod m0015_email_pending_by_message;
mod m0016_search_vocab_pg;
mod m0017_admin;
mod m0018_admin_tasks;
mod m0019_retention;
mod m0020_limits_and_nodes;
mod m0021_archive_and_revisions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_realtime::Migration),
            Box::new(m0003_files::Migration),
            Box::new(m0004_search::Migration),
            Box::new(m0005_integrations::Migration),
            Box::new(m0006_staged_uploads::Migration),
            Box::new(m0007_outgoing_webhooks::Migration),
            Box::new(m0008_slash_commands::Migration),
            Box::new(m0009_manual_away::Migration),
            Box::new(m0010_email::Migration),
            Box::new(m0011_sso::Migration),
            Box::new(m0012_email_confirmed::Migration),
            Box::new(m0013_auth_version::Migration),
            Box::new(m0014_search_author_index::Migration),
            Box::new(m0015_email_pending_by_message::Migration),
            Box::new(m0016_search_vocab_pg::Migration),
            Box::new(m0017_admin::Migration),
            Box::new(m0018_admin_tasks::Migration),
            Box::new(m0019_retention::Migration),
            Box::new(m0020_limits_and_nodes::Migration),
            Box::new(m0021_archive_and_revisions::Migration),
        ]
    }
}
