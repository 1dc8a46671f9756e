//! `parley admin search-bench`: fills an empty instance with a realistic corpus
//! (people, public and private channels of Zipf sizes, messages written over a year),
//! indexes it the way `parley reindex` does, then times queries of several kinds as one
//! ordinary member. Prints a Markdown table; the figures go in docs/PERFORMANCE.md.
use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::corpus::Corpus;
use super::service::{search_in, Request};
use super::{SearchIndex, Sort};
use crate::accounts::model::user;
use crate::channels::model::{channel, member};
use crate::db::Db;
use crate::loadseed::SeededUser;
use crate::messages::model::message;

const BATCH: usize = 1000;
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

pub struct Options {
    pub messages: usize,
    pub channels: usize,
    pub users: usize,
    pub queries: usize,
    /// Time the queries again on an instance filled by an earlier run; write nothing.
    pub queries_only: bool,
}

struct Kind {
    name: &'static str,
    queries: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn run(db: &Db, index: &dyn SearchIndex, opts: Options) -> anyhow::Result<String> {
    let (people, header) = if opts.queries_only {
        index.prepare().await?;
        let people = filled_before(db).await?;
        let messages = message::Entity::find().count(&db.conn).await?;
        (people, format!("{messages} messages filled before, {} index; queries only\n\n", index.name()))
    } else {
        fill(db, index, &opts).await?
    };
    time_queries(db, index, &people, opts.queries, header).await
}

/// Fills the empty instance and indexes it: the people, and the report's first lines.
async fn fill(db: &Db, index: &dyn SearchIndex, opts: &Options) -> anyhow::Result<(Vec<SeededUser>, String)> {
    let started = Instant::now();
    let seeded = crate::loadseed::seed(db, opts.users, opts.channels, "search bench", 80).await?;
    // Every other seeded channel becomes private: the permission filter then matters.
    let mut members: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (i, u) in seeded.users.iter().enumerate() {
        for c in &u.channels {
            members.entry(*c).or_default().push(i);
        }
    }
    let mut channel_ids: Vec<Uuid> = members.keys().copied().collect();
    channel_ids.sort();
    let private: Vec<Uuid> = channel_ids.iter().copied().skip(1).step_by(2).collect();
    channel::Entity::update_many()
        .col_expr(channel::Column::Kind, Expr::value("private"))
        .filter(channel::Column::Id.is_in(private.clone()))
        .filter(channel::Column::Name.ne("general"))
        .exec(&db.conn)
        .await?;
    eprintln!(
        "seeded {} people and {} channels in {:.1} s",
        opts.users,
        channel_ids.len(),
        started.elapsed().as_secs_f64()
    );

    // Messages, in channel proportion to membership (Zipf), over the past year.
    let corpus = Corpus::new();
    let mut rng = StdRng::seed_from_u64(7);
    let weights: Vec<usize> = channel_ids.iter().map(|c| members[c].len()).collect();
    let total_weight: usize = weights.iter().sum();
    let mut seqs: HashMap<Uuid, i64> = HashMap::new();
    let mut recent_roots: HashMap<Uuid, Uuid> = HashMap::new();
    let now = crate::clock::now_ms();
    let generating = Instant::now();
    for start in (0..opts.messages).step_by(BATCH) {
        let mut rows = Vec::with_capacity(BATCH);
        for n in start..(start + BATCH).min(opts.messages) {
            let mut pick = rng.random_range(0..total_weight);
            let mut k = 0;
            while pick >= weights[k] {
                pick -= weights[k];
                k += 1;
            }
            let channel_id = channel_ids[k];
            let who = &members[&channel_id];
            let author = &seeded.users[who[rng.random_range(0..who.len())]];
            let mention = &seeded.users[who[rng.random_range(0..who.len())]].username;
            let body = corpus.message(&mut rng, mention);
            let seq = seqs.entry(channel_id).or_insert(0);
            *seq += 1;
            let id = Uuid::now_v7();
            let root = if rng.random_ratio(5, 100) { recent_roots.get(&channel_id).copied() } else { None };
            if root.is_none() && rng.random_ratio(1, 10) {
                recent_roots.insert(channel_id, id);
            }
            let created_at = now - YEAR_MS + (n as i64) * YEAR_MS / Ord::max(opts.messages as i64, 1);
            rows.push(message::ActiveModel {
                id: Set(id),
                channel_id: Set(channel_id),
                seq: Set(*seq),
                thread_root_id: Set(root),
                author_id: Set(author.id),
                client_msg_id: Set(None),
                body_html: Set(format!("<p>{body}</p>")),
                body: Set(body),
                created_at: Set(created_at),
                edited_at: Set(None),
                deleted_at: Set(None),
                reply_count: Set(0),
                last_reply_at: Set(None),
                attachments: Set(None),
                app: Set(None),
            });
        }
        let tx = db.write().await?;
        message::Entity::insert_many(rows).exec(&*tx).await?;
        tx.commit().await?;
    }
    for (channel_id, seq) in &seqs {
        channel::Entity::update_many()
            .col_expr(channel::Column::LastSeq, Expr::value(*seq))
            .filter(channel::Column::Id.eq(*channel_id))
            .exec(&db.conn)
            .await?;
    }
    db.conn
        .execute_unprepared(
            "UPDATE messages SET reply_count = (SELECT COUNT(*) FROM messages r WHERE r.thread_root_id = messages.id) \
             WHERE id IN (SELECT DISTINCT thread_root_id FROM messages WHERE thread_root_id IS NOT NULL)",
        )
        .await?;
    let generated_s = generating.elapsed().as_secs_f64();
    eprintln!("wrote {} messages in {generated_s:.1} s", opts.messages);

    index.prepare().await?;
    let indexed = index.rebuild(super::reindex::Progress::bar()).await?;
    let rate = indexed.indexed as f64 / indexed.seconds.max(0.001);
    if db.is_postgres() {
        // Statistics for the freshly filled tables, as autovacuum gathers them on a running
        // instance; without them the planner guesses every filter's selectivity.
        db.conn.execute_unprepared("ANALYZE").await?;
    }

    let header = format!(
        "{} messages, {} channels ({} private), {} people; {} database, {} index\n\n\
         Generated in {generated_s:.1} s; indexed {} messages in {:.1} s: **{rate:.0} messages/s**.\n\n",
        opts.messages,
        channel_ids.len(),
        private.len(),
        opts.users,
        if db.is_postgres() { "PostgreSQL" } else { "SQLite" },
        index.name(),
        indexed.indexed,
        indexed.seconds
    );
    Ok((seeded.users, header))
}

/// The people of an instance `fill` wrote before, in the order it made them, with their
/// channels (no tokens: the queries call the service directly).
async fn filled_before(db: &Db) -> anyhow::Result<Vec<SeededUser>> {
    let mut people: Vec<(usize, SeededUser)> = user::Entity::find()
        .filter(user::Column::Username.starts_with("user"))
        .all(&db.conn)
        .await?
        .into_iter()
        .filter_map(|u| {
            let n = u.username.strip_prefix("user")?.parse().ok()?;
            Some((n, SeededUser { id: u.id, username: u.username, token: String::new(), channels: Vec::new() }))
        })
        .collect();
    people.sort_by_key(|(n, _)| *n);
    let mut people: Vec<SeededUser> = people.into_iter().map(|(_, p)| p).collect();
    let at: HashMap<Uuid, usize> = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    for m in member::Entity::find().all(&db.conn).await? {
        if let Some(i) = at.get(&m.user_id) {
            people[*i].channels.push(m.channel_id);
        }
    }
    anyhow::ensure!(people.len() > 1, "no instance filled by search-bench here: run it once without --queries-only");
    Ok(people)
}

/// Times each query kind as the member of the median number of channels.
async fn time_queries(
    db: &Db,
    index: &dyn SearchIndex,
    people: &[SeededUser],
    queries: usize,
    header: String,
) -> anyhow::Result<String> {
    let now = crate::clock::now_ms();
    let mut by_reach: Vec<&SeededUser> = people.iter().collect();
    by_reach.sort_by_key(|u| u.channels.len());
    let me = by_reach[by_reach.len() / 2];
    let some_author = &people[1].username;
    let since = time::OffsetDateTime::from_unix_timestamp((now - YEAR_MS / 2) / 1000)?.date();
    let kinds = vec![
        Kind { name: "one common word", queries: words(&["deploy", "budget", "invoice", "cluster", "lunch"]) },
        Kind {
            name: "two words",
            queries: words(&["database migration", "release plan", "customer report", "alert latency"]),
        },
        Kind { name: "exact phrase", queries: words(&["\"pull request\"", "\"the team\"", "\"status update\""]) },
        Kind { name: "prefix", queries: words(&["deplo*", "kube*", "migr*", "onboard*"]) },
        Kind { name: "part of a word / typo", queries: words(&["ploym", "databse", "kubernets", "invoic"]) },
        Kind {
            name: "filters + word",
            queries: vec![
                format!("from:@{some_author} budget"),
                format!("in:#general after:{since} deploy"),
                "has:link wiki".into(),
                "is:thread review".into(),
            ],
        },
        Kind { name: "CJK (2 characters)", queries: words(&["会議", "迁移", "検索", "環境"]) },
        Kind { name: "rare word", queries: words(&["zeppelin", "narwhal", "graphene"]) },
    ];
    let mut out = header;
    out.push_str(&format!(
        "Searcher @{} reads {} channels. {} queries per kind, page of 20.\n\n",
        me.username,
        me.channels.len(),
        queries
    ));
    out.push_str("| query kind | sort | p50 ms | p95 ms | mean results |\n|---|---|---|---|---|\n");
    for kind in &kinds {
        for sort in [Sort::Relevance, Sort::Newest] {
            let mut times = Vec::with_capacity(queries);
            let mut hits = 0usize;
            for i in 0..queries {
                let q = &kind.queries[i % kind.queries.len()];
                let t = Instant::now();
                let req = Request { q: q.clone(), workspace_id: None, sort, page: 1, per_page: 20 };
                let page = search_in(db, index, me.id, req).await.map_err(|e| anyhow::anyhow!("{q}: {e}"))?;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if i < kind.queries.len() {
                    eprintln!("{:>9.1} ms  {sort:?}  {q}", ms);
                }
                times.push(ms);
                hits += page.results.len();
            }
            times.sort_by(f64::total_cmp);
            out.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {:.1} |\n",
                kind.name,
                if sort == Sort::Relevance { "relevance" } else { "newest" },
                percentile(&times, 0.5),
                percentile(&times, 0.95),
                hits as f64 / queries as f64
            ));
        }
    }
    Ok(out)
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
