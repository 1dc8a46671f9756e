//! GitLab webhooks: push, tag push, merge request, pipeline and issue events get
//! messages of their own (the kind is the payload's `object_kind`, else the
//! `X-Gitlab-Event` header); any other event a short generic one.
use serde_json::Value;

use crate::json::{arr, n, s};
use crate::markdown::{code_link, escape, escape_lines, first_line, link, GREEN, GREY, RED, YELLOW};
use crate::{invalid, Attachment, ConvertError, Message};

const MAX_COMMITS: usize = 10;

fn user(v: &Value) -> String {
    let name = s(v, "/user_username")
        .or_else(|| s(v, "/user/username"))
        .or_else(|| s(v, "/user_name"))
        .or_else(|| s(v, "/user/name"))
        .unwrap_or("someone");
    escape(name)
}

fn project(v: &Value) -> String {
    let name = s(v, "/project/path_with_namespace").or_else(|| s(v, "/project/name")).unwrap_or("a project");
    link(name, s(v, "/project/web_url"))
}

fn card(color: &str, title: Option<String>, url: Option<&str>, text: Option<String>) -> Attachment {
    Attachment {
        color: Some(color.to_owned()),
        title,
        title_link: url.and_then(crate::markdown::safe_url).map(str::to_owned),
        text,
        footer: Some("GitLab".into()),
        ..Default::default()
    }
}

fn excerpt(text: Option<&str>) -> Option<String> {
    let t = text?.trim();
    (!t.is_empty()).then(|| escape_lines(&t.chars().take(600).collect::<String>()))
}

fn push(v: &Value, tag: bool) -> Message {
    let git_ref = s(v, "/ref").unwrap_or_default();
    let web = s(v, "/project/web_url");
    let deleted = s(v, "/after").is_some_and(|a| a.chars().all(|c| c == '0'));
    if tag {
        let name = git_ref.strip_prefix("refs/tags/").unwrap_or(git_ref);
        let url = web.map(|w| format!("{w}/-/tags/{name}"));
        let verb = if deleted { "deleted tag" } else { "pushed tag" };
        return Message {
            text: format!("{} {verb} {} to {}", user(v), code_link(name, url.as_deref()), project(v)),
            ..Default::default()
        };
    }
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    if deleted {
        return Message {
            text: format!("{} deleted branch {} of {}", user(v), code_link(branch, None), project(v)),
            ..Default::default()
        };
    }
    let count = n(v, "/total_commits_count").map_or(arr(v, "/commits").len(), |c| usize::try_from(c).unwrap_or(0));
    let noun = if count == 1 { "commit" } else { "commits" };
    let branch_url = web.map(|w| format!("{w}/-/tree/{branch}"));
    let mut text =
        format!("{} pushed {count} {noun} to {} of {}", user(v), code_link(branch, branch_url.as_deref()), project(v));
    let commits = arr(v, "/commits");
    for c in commits.iter().take(MAX_COMMITS) {
        let short: String = s(c, "/id").unwrap_or_default().chars().take(8).collect();
        let subject = first_line(s(c, "/title").or_else(|| s(c, "/message")).unwrap_or_default(), 120);
        let author = s(c, "/author/name").unwrap_or("someone");
        text.push_str(&format!("\n- {} {} — {}", code_link(&short, s(c, "/url")), escape(&subject), escape(author)));
    }
    if count > commits.len().min(MAX_COMMITS) {
        text.push_str(&format!("\n- … and {} more", count - commits.len().min(MAX_COMMITS)));
    }
    Message { text, ..Default::default() }
}

fn merge_request(v: &Value) -> Message {
    let mr = v.get("object_attributes").unwrap_or(&Value::Null);
    let iid = mr.get("iid").and_then(Value::as_i64).unwrap_or_default();
    let action = s(mr, "/action").or_else(|| s(mr, "/state")).unwrap_or("updated");
    let (verb, color) = match action {
        "open" | "opened" => ("opened", GREEN),
        "reopen" => ("reopened", GREEN),
        "merge" | "merged" => ("merged", "#8250df"),
        "close" | "closed" => ("closed", RED),
        "approved" | "approval" => ("approved", GREEN),
        other => (other, GREY),
    };
    let url = s(mr, "/url");
    let body = if verb == "opened" { excerpt(s(mr, "/description")) } else { None };
    Message {
        text: format!(
            "{} {verb} merge request {} in {} ({} ← {})",
            user(v),
            link(&format!("!{iid}"), url),
            project(v),
            code_link(s(mr, "/target_branch").unwrap_or_default(), None),
            code_link(s(mr, "/source_branch").unwrap_or_default(), None)
        ),
        attachments: vec![card(
            color,
            Some(format!("!{iid} {}", first_line(s(mr, "/title").unwrap_or_default(), 250))),
            url,
            body,
        )],
        ..Default::default()
    }
}

fn pipeline(v: &Value) -> Message {
    let p = v.get("object_attributes").unwrap_or(&Value::Null);
    let id = p.get("id").and_then(Value::as_i64).unwrap_or_default();
    let status = s(p, "/status").unwrap_or("changed");
    let (said, color) = match status {
        "success" => ("passed", GREEN),
        "failed" => ("failed", RED),
        "canceled" | "cancelled" => ("was cancelled", GREY),
        "running" | "pending" | "created" => ("is running", YELLOW),
        other => (other, GREY),
    };
    let url =
        s(p, "/url").map(str::to_owned).or_else(|| s(v, "/project/web_url").map(|w| format!("{w}/-/pipelines/{id}")));
    let mut fields = Vec::new();
    let failed: Vec<String> = arr(v, "/builds")
        .iter()
        .filter(|b| s(b, "/status") == Some("failed"))
        .map(|b| format!("{} ({})", s(b, "/name").unwrap_or("job"), s(b, "/stage").unwrap_or("stage")))
        .collect();
    if !failed.is_empty() {
        fields.push(crate::Field { title: "Failed jobs".into(), value: escape(&failed.join(", ")), short: false });
    }
    let subject = s(v, "/commit/title").or_else(|| s(v, "/commit/message")).map(|m| first_line(m, 120));
    let mut attachment = card(color, subject, url.as_deref(), None);
    attachment.fields = fields;
    Message {
        text: format!(
            "Pipeline {} on {} of {} {said} (by {})",
            link(&format!("#{id}"), url.as_deref()),
            code_link(s(p, "/ref").unwrap_or_default(), None),
            project(v),
            user(v)
        ),
        attachments: vec![attachment],
        ..Default::default()
    }
}

fn issue(v: &Value) -> Message {
    let i = v.get("object_attributes").unwrap_or(&Value::Null);
    let iid = i.get("iid").and_then(Value::as_i64).unwrap_or_default();
    let action = s(i, "/action").unwrap_or("update");
    let (verb, color) = match action {
        "open" => ("opened", GREEN),
        "close" => ("closed", RED),
        "reopen" => ("reopened", GREEN),
        _ => ("updated", GREY),
    };
    let url = s(i, "/url");
    let body = if verb == "opened" { excerpt(s(i, "/description")) } else { None };
    Message {
        text: format!("{} {verb} issue {} in {}", user(v), link(&format!("#{iid}"), url), project(v)),
        attachments: vec![card(
            color,
            Some(format!("#{iid} {}", first_line(s(i, "/title").unwrap_or_default(), 250))),
            url,
            body,
        )],
        ..Default::default()
    }
}

pub fn convert(event_header: &str, v: &Value) -> Result<Message, ConvertError> {
    if !v.is_object() {
        return Err(invalid("a GitLab payload is a JSON object"));
    }
    let kind = s(v, "/object_kind").unwrap_or(match event_header {
        "Push Hook" => "push",
        "Tag Push Hook" => "tag_push",
        "Merge Request Hook" => "merge_request",
        "Pipeline Hook" => "pipeline",
        "Issue Hook" => "issue",
        _ => "",
    });
    Ok(match kind {
        "push" => push(v, false),
        "tag_push" => push(v, true),
        "merge_request" => merge_request(v),
        "pipeline" => pipeline(v),
        "issue" | "work_item" => issue(v),
        other => {
            let what = if other.is_empty() { event_header } else { other };
            let what = if what.is_empty() { "an event" } else { what };
            Message {
                text: format!("{} sent GitLab {} for {}", user(v), code_link(what, None), project(v)),
                ..Default::default()
            }
        }
    })
}
