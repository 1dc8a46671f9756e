//! What Parley keeps in Meilisearch: one document per message, the index settings, and
//! the version of both. Bump `DOC_VERSION` whenever either changes: the next start-up
//! rebuilds the index beside the live one and swaps it in.
use meilisearch_sdk::settings::{MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::Doc;

pub const DOC_VERSION: u32 = 1;

/// A document outside every channel (it has no `channel_id`, so no search filter
/// matches it) that records which `DOC_VERSION` built the index; it moves with a swap.
pub const META_ID: &str = "parley-meta";

/// Searches page through at most this many hits (Meilisearch's default is 1,000).
pub const MAX_TOTAL_HITS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDoc {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub channel_id: Uuid,
    pub author_id: Uuid,
    /// Unix milliseconds.
    pub created_at: i64,
    pub is_thread: bool,
    pub has_file: bool,
    pub has_link: bool,
    pub text: String,
    pub files: Vec<String>,
}

impl From<&Doc> for MessageDoc {
    fn from(d: &Doc) -> Self {
        Self {
            id: d.message_id,
            workspace_id: d.workspace_id,
            channel_id: d.channel_id,
            author_id: d.author_id,
            created_at: d.created_at,
            is_thread: d.is_thread,
            has_file: d.has_file,
            has_link: d.has_link,
            text: d.text.clone(),
            files: d.file_names.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MetaDoc {
    pub id: String,
    pub doc_version: u32,
}

impl MetaDoc {
    pub fn current() -> Self {
        Self { id: META_ID.to_owned(), doc_version: DOC_VERSION }
    }
}

pub fn settings() -> Settings {
    Settings::new()
        .with_searchable_attributes(["text", "files"])
        .with_filterable_attributes([
            "workspace_id",
            "channel_id",
            "author_id",
            "created_at",
            "has_file",
            "has_link",
            "is_thread",
        ])
        .with_sortable_attributes(["created_at"])
        // Meilisearch's default rules, then newer before older among equals.
        .with_ranking_rules(["words", "typo", "proximity", "attribute", "sort", "exactness", "created_at:desc"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            min_word_size_for_typos: Some(MinWordSizeForTypos { one_typo: Some(5), two_typos: Some(9) }),
            ..Default::default()
        })
        .with_pagination(PaginationSetting { max_total_hits: MAX_TOTAL_HITS })
}
