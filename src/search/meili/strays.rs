//! A rebuild fills `<index>_next_<uuid v7>` beside the live index and swaps it in; a
//! rebuild cut short by a crash leaves that index behind, holding a copy of the
//! messages. Each start-up and each rebuild drops those older than `STRAY_AFTER` (a
//! younger one may be another node's rebuild still filling; the uuid says when it began).
use std::time::Duration;

use meilisearch_sdk::indexes::IndexesQuery;
use uuid::Uuid;

use super::MeiliIndex;

/// Far longer than a rebuild takes (a million messages: minutes).
pub const STRAY_AFTER: Duration = Duration::from_secs(6 * 3600);
const PAGE: usize = 100;

impl MeiliIndex {
    /// Drops the unfinished rebuild indexes of this index begun over `STRAY_AFTER` ago;
    /// answers their names.
    pub async fn drop_stray_rebuilds(&self) -> anyhow::Result<Vec<String>> {
        let prefix = format!("{}_next_", self.uid);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
        let mut stray = Vec::new();
        let mut offset = 0;
        loop {
            let mut query = IndexesQuery::new(&self.client);
            query.with_limit(PAGE).with_offset(offset);
            let page = self.call(self.client.list_all_indexes_with(&query)).await?;
            for index in &page.results {
                let Some(begun) = index.uid.strip_prefix(&prefix).and_then(begun_at) else { continue };
                if now.saturating_sub(begun) > STRAY_AFTER {
                    stray.push(index.uid.clone());
                }
            }
            offset += page.results.len();
            if page.results.len() < PAGE || offset >= page.total as usize {
                break;
            }
        }
        for uid in &stray {
            self.drop_index(uid).await?;
            tracing::info!(index = %uid, "dropped the index of a rebuild that never finished");
        }
        Ok(stray)
    }
}

/// When a rebuild began, from its index name's uuid v7.
fn begun_at(suffix: &str) -> Option<Duration> {
    let (secs, nanos) = Uuid::try_parse(suffix).ok()?.get_timestamp()?.to_unix();
    Some(Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::begun_at;

    #[test]
    fn the_start_of_a_rebuild_is_read_from_its_uuid() {
        let id = uuid::Uuid::now_v7();
        let begun = begun_at(&id.simple().to_string()).expect("a v7 uuid");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock");
        assert!(now.saturating_sub(begun).as_secs() < 5);
        assert_eq!(begun_at("not-a-uuid"), None);
        assert_eq!(begun_at(&uuid::Uuid::new_v4().simple().to_string()), None, "no time in a v4");
    }
}
