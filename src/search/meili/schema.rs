//! What Parley keeps in Meilisearch: one document per message, the index settings, and
//! the version of both. Bump `DOC_VERSION` whenever either changes: the next start-up
//! rebuilds the index beside the live one and swaps it in.
use meilisearch_sdk::settings::{
    LocalizedAttributes, MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::text::{is_cjk, space_cjk};
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
    /// Text and file names with CJK characters spaced apart, when there are any: each
    /// character is then a word, and a CJK word of any length is found as a phrase of
    /// its characters whatever segmenter the server was built with (see plan.rs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cjk: String,
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
            cjk: cjk_spaced(&d.full_text()),
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

fn cjk_spaced(text: &str) -> String {
    if text.chars().any(is_cjk) {
        space_cjk(text).split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        String::new()
    }
}

pub fn settings() -> Settings {
    Settings::new()
        .with_searchable_attributes(["text", "files", "cjk"])
        // One locale for the spaced CJK text and the queries on it: Chinese
        // normalisation (variant folding) then applies to both sides alike, also to
        // Japanese kanji that a per-document language guess would leave unfolded.
        .with_localized_attributes([LocalizedAttributes {
            attribute_patterns: vec!["cjk".into()],
            locales: vec!["cmn".into()],
        }])
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
        // `sort` first: a search sorted newest first is ordered by time, not by
        // relevance with time as a tie-break (a search without a sort skips the rule).
        // Then Meilisearch's default rules, and newer before older among equals.
        .with_ranking_rules(["sort", "words", "typo", "proximity", "attribute", "exactness", "created_at:desc"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            min_word_size_for_typos: Some(MinWordSizeForTypos { one_typo: Some(5), two_typos: Some(9) }),
            ..Default::default()
        })
        .with_pagination(PaginationSetting { max_total_hits: MAX_TOTAL_HITS })
}
