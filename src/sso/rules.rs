//! A provider's rules, applied at every sign-in through it: each workspace they name is
//! managed by the provider — the person gets the highest role a matching rule grants
//! (joining if needed), the private channels the matching rules name, and loses the
//! workspace, or those channels, when no rule grants them any more. Owners are left
//! alone (ownership is handed over by people, never taken by a rule).
use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::claims::Claims;
use super::settings::{ProviderSettings, RuleSettings};
use crate::access::WorkspaceRole;
use crate::channels::model::{channel, member as channel_member};
use crate::db::WriteTx;
use crate::error::AppResult;
use crate::realtime::event::NewEvent;
use crate::workspaces::model::{member, workspace};
use crate::workspaces::service as workspaces;

/// Whether a rule speaks about this person. An e-mail domain counts only when the
/// provider vouches for the address: an unverified address proves nothing.
fn matches(rule: &RuleSettings, claims: &Claims) -> bool {
    if let Some(domain) = &rule.email_domain {
        let domain = domain.trim_start_matches('@').to_lowercase();
        return claims.email_verified
            && claims.email.as_deref().and_then(|e| e.rsplit_once('@')).is_some_and(|(_, d)| d == domain);
    }
    rule.group.as_ref().is_some_and(|g| claims.groups.iter().any(|have| have == g))
}

/// What the rules for one workspace grant: a role (None: nothing) and channels.
#[derive(Default)]
struct Grant {
    role: Option<WorkspaceRole>,
    channels: BTreeSet<String>,
    named_channels: BTreeSet<String>,
}

fn grants(p: &ProviderSettings, claims: &Claims) -> BTreeMap<String, Grant> {
    let mut out: BTreeMap<String, Grant> = BTreeMap::new();
    for rule in &p.rules {
        let g = out.entry(rule.workspace.clone()).or_default();
        g.named_channels.extend(rule.channels.iter().cloned());
        if matches(rule, claims) {
            let role = WorkspaceRole::parse(&rule.role);
            g.role = Some(g.role.map_or(role, |r| r.max(role)));
            g.channels.extend(rule.channels.iter().cloned());
        }
    }
    out
}

/// Applies the rules inside the sign-in's transaction; answers how many memberships
/// changed.
pub async fn apply(tx: &WriteTx, p: &ProviderSettings, user_id: Uuid, claims: &Claims) -> AppResult<usize> {
    let mut changes = 0;
    for (slug, grant) in grants(p, claims) {
        let Some(ws) = workspace::Entity::find().filter(workspace::Column::Slug.eq(&slug)).one(&**tx).await? else {
            tracing::warn!(provider = %p.id, workspace = %slug, "an sso rule names a workspace that does not exist");
            continue;
        };
        changes += apply_workspace(tx, &ws, user_id, &grant).await?;
    }
    Ok(changes)
}

async fn apply_workspace(tx: &WriteTx, ws: &workspace::Model, user_id: Uuid, grant: &Grant) -> AppResult<usize> {
    let current = member::Entity::find_by_id((ws.id, user_id))
        .one(&**tx)
        .await?
        .filter(|m| m.deactivated_at.is_none())
        .map(|m| WorkspaceRole::parse(&m.role));
    if current == Some(WorkspaceRole::Owner) {
        return Ok(0);
    }
    let mut changes = 0;
    match (current, grant.role) {
        (None, Some(role)) => {
            workspaces::add_member(tx, ws.id, user_id, role).await?;
            changes += 1;
        }
        (Some(_), None) => {
            workspaces::end_membership(tx, ws.id, user_id).await?;
            return Ok(1);
        }
        (Some(now), Some(role)) if now != role => {
            workspaces::set_role(tx, ws.id, user_id, role).await?;
            changes += 1;
        }
        _ => {}
    }
    if grant.role.is_none() {
        return Ok(changes);
    }
    let named = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(ws.id))
        .filter(channel::Column::Kind.eq("private"))
        .filter(channel::Column::Name.is_in(grant.named_channels.iter().cloned()))
        .all(&**tx)
        .await?;
    for ch in named {
        if ch.name.as_ref().is_some_and(|n| grant.channels.contains(n)) {
            if crate::channels::service::add_member_row(&**tx, ch.id, user_id, "member").await? {
                tx.emit(NewEvent::member_joined(ws.id, ch.id, user_id));
                changes += 1;
            }
        } else {
            let gone = channel_member::Entity::delete_by_id((ch.id, user_id)).exec(&**tx).await?.rows_affected;
            if gone > 0 {
                tx.emit(NewEvent::member_left(ws.id, ch.id, user_id));
                changes += 1;
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::settings::ClaimNames;

    fn rule(domain: Option<&str>, group: Option<&str>, role: &str, channels: &[&str]) -> RuleSettings {
        RuleSettings {
            email_domain: domain.map(Into::into),
            group: group.map(Into::into),
            workspace: "acme".into(),
            role: role.into(),
            channels: channels.iter().map(|c| (*c).into()).collect(),
        }
    }

    fn claims(email: &str, verified: bool, groups: &[&str]) -> Claims {
        let doc = serde_json::json!({"sub": "s", "email": email, "email_verified": verified, "groups": groups});
        Claims::read(&doc, &ClaimNames::default()).unwrap()
    }

    #[test]
    fn the_highest_role_wins_and_unverified_domains_grant_nothing() {
        let mut p: ProviderSettings = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "X", "issuer": "https://idp.example", "client_id": "c"
        }))
        .unwrap();
        p.rules = vec![
            rule(Some("acme.test"), None, "member", &[]),
            rule(None, Some("admins"), "admin", &["ops"]),
            rule(None, Some("spies"), "guest", &["secret"]),
        ];
        let g = grants(&p, &claims("ann@acme.test", true, &["admins"]));
        assert_eq!(g["acme"].role, Some(WorkspaceRole::Admin));
        assert_eq!(g["acme"].channels.iter().collect::<Vec<_>>(), ["ops"]);
        assert_eq!(g["acme"].named_channels.len(), 2);
        assert_eq!(grants(&p, &claims("ann@acme.test", false, &[]))["acme"].role, None);
        assert_eq!(grants(&p, &claims("ann@evil-acme.test", true, &[]))["acme"].role, None);
    }
}
