//! `parley admin seed-load`: fills an empty instance with synthetic people, channels and
//! API tokens for load tests. Signing thousands of people up over HTTP spends one argon2
//! run each (tens of milliseconds); this shares one password hash among them and writes
//! in batches, through the same services the API uses.
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

use crate::access::{ChannelKind, WorkspaceRole};
use crate::accounts::service::{self as accounts, NewUser};
use crate::auth::{api_tokens, password};
use crate::channels::model::channel;
use crate::channels::service as channels;
use crate::db::Db;
use crate::error::AppError;
use crate::realtime::event::NewEvent;
use crate::workspaces::service as workspaces;

const BATCH: usize = 250;

#[derive(Serialize)]
pub struct SeededUser {
    pub id: Uuid,
    pub username: String,
    pub token: String,
    pub channels: Vec<Uuid>,
}

/// What the load generator reads (`parley-loadgen --seed FILE`).
#[derive(Serialize)]
pub struct Seeded {
    pub workspace: Uuid,
    pub admin_token: String,
    pub users: Vec<SeededUser>,
}

fn app(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// `users` people in one workspace, #general holding everyone and `channels` more public
/// channels whose sizes follow a Zipf law (channel k holds about users/(k+2) people).
pub async fn seed(db: &Db, users: usize, channels: usize, password: &str, name_max: usize) -> anyhow::Result<Seeded> {
    let hash = password::hash(password.to_owned()).await.map_err(app)?;
    let person = |i: usize, admin: bool| {
        let name = if admin { "loadadmin".to_owned() } else { format!("user{i}") };
        NewUser {
            email: format!("{name}@load.test"),
            username: Some(name.clone()),
            display_name: if admin { "Load Admin".into() } else { format!("User {i}") },
            password: None,
            is_admin: admin,
        }
    };

    let tx = db.write().await?;
    anyhow::ensure!(accounts::count(&*tx).await.map_err(app)? == 0, "seed-load needs an empty instance");
    let prepared = accounts::prepare(person(0, true), name_max).await.map_err(app)?;
    let admin = accounts::insert(&*tx, prepared.with_password_hash(hash.clone())).await.map_err(app)?;
    let ws = workspaces::create(&tx, admin.id, "Load", None, name_max).await.map_err(app)?;
    let (_, admin_token) = api_tokens::create(&*tx, admin.id, "loadgen-admin", None).await.map_err(app)?;
    tx.commit().await?;
    let general = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws.id))
        .filter(channel::Column::Name.eq("general"))
        .one(&db.conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new workspace has no #general"))?
        .id;

    let mut seeded: Vec<SeededUser> = Vec::with_capacity(users);
    for start in (0..users).step_by(BATCH) {
        let tx = db.write().await?;
        for i in start..(start + BATCH).min(users) {
            let prepared = accounts::prepare(person(i, false), name_max).await.map_err(app)?;
            let user = accounts::insert(&*tx, prepared.with_password_hash(hash.clone())).await.map_err(app)?;
            workspaces::add_member(&tx, ws.id, user.id, WorkspaceRole::Member).await.map_err(app)?;
            let (_, token) = api_tokens::create(&*tx, user.id, "loadgen", None).await.map_err(app)?;
            seeded.push(SeededUser { id: user.id, username: user.username, token, channels: vec![general] });
        }
        tx.commit().await?;
    }

    let mut order: Vec<usize> = (0..users).collect();
    for k in 0..channels {
        let tx = db.write().await?;
        let name = Some(format!("load-{k}"));
        let row =
            channels::insert(&*tx, ws.id, admin.id, ChannelKind::Public, name, "", "", None).await.map_err(app)?;
        let size = (users / (k + 2)).max(2).min(users);
        // Seeded by k: the same command gives the same memberships.
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(k as u64));
        for &i in &order[..size] {
            channels::add_member_row(&*tx, row.id, seeded[i].id, "member").await.map_err(app)?;
            tx.emit(NewEvent::member_joined(ws.id, row.id, seeded[i].id));
            seeded[i].channels.push(row.id);
        }
        tx.commit().await?;
    }
    Ok(Seeded { workspace: ws.id, admin_token, users: seeded })
}
