//! GitHub webhooks (the event is named by `X-GitHub-Event`): push, pull_request, issues,
//! issue_comment, release, workflow_run and ping get messages of their own; any other
//! event a short generic one.
use serde_json::Value;

use crate::json::{arr, b, s};
use crate::markdown::{code_link, escape, escape_lines, first_line, link, GREEN, GREY, RED, YELLOW};
use crate::{invalid, Attachment, ConvertError, Message};

const MAX_COMMITS: usize = 10;
const EXCERPT_CHARS: usize = 600;

fn actor(v: &Value) -> String {
    let login = s(v, "/sender/login").unwrap_or("someone");
    link(login, s(v, "/sender/html_url"))
}

fn repo(v: &Value) -> String {
    let name = s(v, "/repository/full_name").unwrap_or("a repository");
    link(name, s(v, "/repository/html_url"))
}

fn excerpt(text: Option<&str>) -> Option<String> {
    let t = text?.trim();
    if t.is_empty() {
        return None;
    }
    let cut: String = t.chars().take(EXCERPT_CHARS).collect();
    let more = if t.chars().count() > EXCERPT_CHARS { "…" } else { "" };
    Some(format!("{}{more}", escape_lines(&cut)))
}

fn card(color: &str, title: Option<&str>, url: Option<&str>, text: Option<String>) -> Attachment {
    Attachment {
        color: Some(color.to_owned()),
        title: title.map(|t| first_line(t, 250)),
        title_link: url.and_then(crate::markdown::safe_url).map(str::to_owned),
        text,
        footer: Some("GitHub".into()),
        ..Default::default()
    }
}

fn push(v: &Value) -> Message {
    let git_ref = s(v, "/ref").unwrap_or_default();
    let compare = s(v, "/compare");
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        let verb = if b(v, "/deleted") == Some(true) { "deleted tag" } else { "pushed tag" };
        return Message {
            text: format!("{} {verb} {} to {}", actor(v), code_link(tag, compare), repo(v)),
            ..Default::default()
        };
    }
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    let branch_url = s(v, "/repository/html_url").map(|r| format!("{r}/tree/{branch}"));
    let commits = arr(v, "/commits");
    if b(v, "/deleted") == Some(true) {
        return Message {
            text: format!("{} deleted branch {} of {}", actor(v), code_link(branch, None), repo(v)),
            ..Default::default()
        };
    }
    let forced = if b(v, "/forced") == Some(true) { "force-" } else { "" };
    let count = commits.len();
    let noun = if count == 1 { "commit" } else { "commits" };
    let mut text = format!(
        "{} {forced}pushed {} to {} of {}",
        actor(v),
        link(&format!("{count} {noun}"), compare),
        code_link(branch, branch_url.as_deref()),
        repo(v)
    );
    for c in commits.iter().take(MAX_COMMITS) {
        let id = s(c, "/id").unwrap_or_default();
        let short: String = id.chars().take(7).collect();
        let author = s(c, "/author/username").or_else(|| s(c, "/author/name")).unwrap_or("someone");
        let subject = first_line(s(c, "/message").unwrap_or_default(), 120);
        text.push_str(&format!("\n- {} {} — {}", code_link(&short, s(c, "/url")), escape(&subject), escape(author)));
    }
    if count > MAX_COMMITS {
        text.push_str(&format!("\n- … and {} more", count - MAX_COMMITS));
    }
    Message { text, ..Default::default() }
}

fn pull_request(v: &Value) -> Message {
    let action = s(v, "/action").unwrap_or("updated");
    let pr = v.get("pull_request").unwrap_or(&Value::Null);
    let number = pr.get("number").and_then(Value::as_i64).unwrap_or_default();
    let merged = b(pr, "/merged") == Some(true);
    let (verb, color) = match action {
        "closed" if merged => ("merged", "#8250df"),
        "closed" => ("closed", RED),
        "opened" | "reopened" | "ready_for_review" => (action, GREEN),
        other => (other, GREY),
    };
    let verb = verb.replace('_', " ");
    let title = format!("#{number} {}", s(pr, "/title").unwrap_or_default());
    let base = s(pr, "/base/ref").unwrap_or_default();
    let head = s(pr, "/head/ref").unwrap_or_default();
    let body = if matches!(action, "opened" | "ready_for_review") { excerpt(s(pr, "/body")) } else { None };
    Message {
        text: format!(
            "{} {verb} pull request {} in {} ({} ← {})",
            actor(v),
            link(&format!("#{number}"), s(pr, "/html_url")),
            repo(v),
            code_link(base, None),
            code_link(head, None)
        ),
        attachments: vec![card(color, Some(&title), s(pr, "/html_url"), body)],
        ..Default::default()
    }
}

fn issues(v: &Value) -> Message {
    let action = s(v, "/action").unwrap_or("updated");
    let issue = v.get("issue").unwrap_or(&Value::Null);
    let number = issue.get("number").and_then(Value::as_i64).unwrap_or_default();
    let color = match action {
        "opened" | "reopened" => GREEN,
        "closed" => RED,
        _ => GREY,
    };
    let body = if action == "opened" { excerpt(s(issue, "/body")) } else { None };
    let title = format!("#{number} {}", s(issue, "/title").unwrap_or_default());
    Message {
        text: format!(
            "{} {} issue {} in {}",
            actor(v),
            action.replace('_', " "),
            link(&format!("#{number}"), s(issue, "/html_url")),
            repo(v)
        ),
        attachments: vec![card(color, Some(&title), s(issue, "/html_url"), body)],
        ..Default::default()
    }
}

fn issue_comment(v: &Value) -> Message {
    let issue = v.get("issue").unwrap_or(&Value::Null);
    let number = issue.get("number").and_then(Value::as_i64).unwrap_or_default();
    let kind = if issue.get("pull_request").is_some() { "pull request" } else { "issue" };
    let verb = match s(v, "/action") {
        Some("created") | None => "commented on".to_owned(),
        Some(other) => format!("{} a comment on", other.replace('_', " ")),
    };
    let title = format!("#{number} {}", s(issue, "/title").unwrap_or_default());
    Message {
        text: format!(
            "{} {verb} {kind} {} in {}",
            actor(v),
            link(&format!("#{number}"), s(v, "/comment/html_url").or_else(|| s(issue, "/html_url"))),
            repo(v)
        ),
        attachments: vec![card(GREY, Some(&title), s(v, "/comment/html_url"), excerpt(s(v, "/comment/body")))],
        ..Default::default()
    }
}

fn release(v: &Value) -> Message {
    let rel = v.get("release").unwrap_or(&Value::Null);
    let tag = s(rel, "/tag_name").unwrap_or_default();
    let name = s(rel, "/name").unwrap_or(tag);
    let kind = if b(rel, "/prerelease") == Some(true) { "pre-release" } else { "release" };
    Message {
        text: format!(
            "{} {} {kind} {} of {}",
            actor(v),
            s(v, "/action").unwrap_or("published").replace('_', " "),
            link(name, s(rel, "/html_url")),
            repo(v)
        ),
        attachments: vec![card(GREEN, Some(name), s(rel, "/html_url"), excerpt(s(rel, "/body")))],
        ..Default::default()
    }
}

fn workflow_run(v: &Value) -> Message {
    let run = v.get("workflow_run").unwrap_or(&Value::Null);
    let name = s(run, "/name").or_else(|| s(v, "/workflow/name")).unwrap_or("workflow");
    let branch = s(run, "/head_branch").unwrap_or_default();
    let number = run.get("run_number").and_then(Value::as_i64).unwrap_or_default();
    let (state, color) = match (s(run, "/status"), s(run, "/conclusion")) {
        (Some("completed"), Some("success")) => ("succeeded", GREEN),
        (Some("completed"), Some("failure" | "timed_out" | "startup_failure")) => ("failed", RED),
        (Some("completed"), Some("cancelled")) => ("was cancelled", GREY),
        (Some("completed"), Some(other)) => (other, GREY),
        (Some("in_progress"), _) => ("is running", YELLOW),
        (Some(status), _) => (status, GREY),
        (None, _) => ("changed", GREY),
    };
    let subject = s(run, "/head_commit/message").map(|m| first_line(m, 120));
    Message {
        text: format!(
            "Workflow {} run {} on {} of {} {state}",
            escape(name),
            link(&format!("#{number}"), s(run, "/html_url")),
            code_link(branch, None),
            repo(v)
        ),
        attachments: vec![card(color, subject.as_deref(), s(run, "/html_url"), None)],
        ..Default::default()
    }
}

fn generic(event: &str, v: &Value) -> Message {
    let event = if event.is_empty() { "an event" } else { event };
    let action = s(v, "/action").map(|a| format!(" ({})", escape(a))).unwrap_or_default();
    Message {
        text: format!("{} sent GitHub {}{action} for {}", actor(v), code_link(event, None), repo(v)),
        ..Default::default()
    }
}

pub fn convert(event: &str, v: &Value) -> Result<Message, ConvertError> {
    if !v.is_object() {
        return Err(invalid("a GitHub payload is a JSON object"));
    }
    Ok(match event {
        "push" => push(v),
        "pull_request" => pull_request(v),
        "issues" => issues(v),
        "issue_comment" => issue_comment(v),
        "release" => release(v),
        "workflow_run" => workflow_run(v),
        "ping" => Message {
            text: format!(
                "GitHub is connected to this channel for {}: {}",
                repo(v),
                escape(s(v, "/zen").unwrap_or(""))
            ),
            ..Default::default()
        },
        other => generic(other, v),
    })
}
