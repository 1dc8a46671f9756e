//! Seeding through the public API: the first-run admin, N users from invitations,
//! and channels whose sizes follow a Zipf law (#general holds everyone).
use futures_util::stream::{self, StreamExt};
use rand::seq::IndexedRandom;
use serde_json::{json, Value};

use crate::api::Api;

pub struct SimUser {
    pub id: String,
    pub username: String,
    pub token: String,
    pub channels: Vec<String>,
}

pub struct World {
    pub workspace: String,
    /// #general, which holds everyone.
    pub general: String,
    pub admin_token: String,
    pub users: Vec<SimUser>,
}

/// A world written by `parley admin seed-load --out FILE` (thousands of people in
/// seconds, where signing up over HTTP spends one argon2 run per person).
pub fn load(path: &std::path::Path) -> anyhow::Result<World> {
    #[derive(serde::Deserialize)]
    struct File {
        workspace: String,
        admin_token: String,
        users: Vec<FileUser>,
    }
    #[derive(serde::Deserialize)]
    struct FileUser {
        id: String,
        username: String,
        token: String,
        channels: Vec<String>,
    }
    let f: File = serde_json::from_slice(&std::fs::read(path)?)?;
    let general = f.users.first().and_then(|u| u.channels.first()).cloned().unwrap_or_default();
    let users = f
        .users
        .into_iter()
        .map(|u| SimUser { id: u.id, username: u.username, token: u.token, channels: u.channels })
        .collect();
    Ok(World { workspace: f.workspace, general, admin_token: f.admin_token, users })
}

const PASSWORD: &str = "load-generator password";

fn id_of(v: &Value) -> anyhow::Result<String> {
    v["id"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no id in {v}"))
}

/// Signs in with a session cookie and trades it for an API token.
async fn token_from_cookie(api: &Api, headers: &reqwest::header::HeaderMap, name: &str) -> anyhow::Result<String> {
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("parley_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))?
        .to_owned();
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/me/tokens", api.base))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"name": name}))
        .send()
        .await?;
    let v: Value = resp.json().await?;
    v["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no token: {v}"))
}

pub async fn seed(api: &Api, setup_token: &str, users: usize, channels: usize) -> anyhow::Result<World> {
    let body = json!({"token": setup_token, "workspace_name": "Load", "display_name": "Load Admin",
                      "email": "admin@load.test", "username": "loadadmin", "password": PASSWORD});
    let (status, me, headers) = api.call("setup", reqwest::Method::POST, "/api/v1/setup", None, Some(&body)).await?;
    anyhow::ensure!(status == 201, "setup failed ({status}): {me}");
    let admin = token_from_cookie(api, &headers, "loadgen-admin").await?;
    let ws = api.get("workspaces", "/api/v1/workspaces", &admin).await?;
    let workspace = ws[0]["id"].as_str().ok_or_else(|| anyhow::anyhow!("no workspace"))?.to_owned();
    let list = api.get("channels", &format!("/api/v1/workspaces/{workspace}/channels"), &admin).await?;
    let general = list.as_array().and_then(|l| l.iter().find(|c| c["name"] == "general")).map(id_of).transpose()?;
    let general = general.ok_or_else(|| anyhow::anyhow!("no #general"))?;

    let created: Vec<anyhow::Result<SimUser>> = stream::iter(0..users)
        .map(|i| {
            let api = api.clone();
            let admin = admin.clone();
            let workspace = workspace.clone();
            async move {
                let (s, inv) = api
                    .post("invite", &format!("/api/v1/workspaces/{workspace}/invites"), &admin, json!({"max_uses": 1}))
                    .await?;
                anyhow::ensure!(s == 201, "invite failed: {inv}");
                let username = format!("user{i}");
                let body = json!({"invite_token": inv["token"], "email": format!("{username}@load.test"),
                                  "display_name": format!("User {i}"), "username": username, "password": PASSWORD});
                let (s, me, headers) =
                    api.call("signup", reqwest::Method::POST, "/api/v1/auth/signup", None, Some(&body)).await?;
                anyhow::ensure!(s == 201, "signup failed ({s}): {me}");
                let token = token_from_cookie(&api, &headers, "loadgen").await?;
                Ok(SimUser { id: id_of(&me)?, username, token, channels: Vec::new() })
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut sim: Vec<SimUser> = created.into_iter().collect::<anyhow::Result<_>>()?;
    for u in &mut sim {
        u.channels.push(general.clone());
    }
    // Channel k holds about users/(k+1) people: a few big channels, many small ones.
    let mut rng = rand::rng();
    for k in 0..channels {
        let (s, ch) = api
            .post(
                "create_channel",
                &format!("/api/v1/workspaces/{workspace}/channels"),
                &admin,
                json!({"name": format!("load-{k}")}),
            )
            .await?;
        anyhow::ensure!(s == 201, "channel failed: {ch}");
        let ch = id_of(&ch)?;
        let size = (users / (k + 2)).max(2).min(users);
        let indexes: Vec<usize> = (0..users).collect();
        for &i in indexes.choose_multiple(&mut rng, size) {
            let (s, v) = api
                .post("add_member", &format!("/api/v1/channels/{ch}/members"), &admin, json!({"user_id": sim[i].id}))
                .await?;
            anyhow::ensure!(s == 200, "add member failed: {v}");
            sim[i].channels.push(ch.clone());
        }
    }
    Ok(World { workspace, general, admin_token: admin, users: sim })
}
