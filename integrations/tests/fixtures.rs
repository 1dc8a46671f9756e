//! Every fixture (payloads written from each tool's public documentation) converts into
//! the message a person would expect, and hostile ones end inert or cleanly refused.
use std::path::{Path, PathBuf};

use integrations::{convert, ConvertError, Message, Source};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn load(rel: &str) -> (Vec<u8>, Vec<(String, String)>) {
    let path = dir().join(rel);
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let headers_path = path.with_file_name(format!("{}.headers.json", path.file_stem().unwrap().to_str().unwrap()));
    let headers = std::fs::read(&headers_path)
        .ok()
        .map(|b| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b).unwrap())
        .map(|m| m.into_iter().map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    (body, headers)
}

pub fn run(source: Source, rel: &str) -> Result<Message, ConvertError> {
    let (body, headers) = load(rel);
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    convert(source, &pairs, &body, None)
}

fn ok(source: Source, rel: &str) -> Message {
    run(source, rel).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Everything a person reads of a message: its text and every card's text.
fn shown(m: &Message) -> String {
    let mut out = m.text.clone();
    for a in &m.attachments {
        for part in [&a.pretext, &a.author, &a.title, &a.text, &a.footer].into_iter().flatten() {
            out.push('\n');
            out.push_str(part);
        }
        for f in &a.fields {
            out.push_str(&format!("\n{}: {}", f.title, f.value));
        }
    }
    out
}

#[track_caller]
fn says(m: &Message, phrases: &[&str]) {
    let text = shown(m);
    for p in phrases {
        assert!(text.contains(p), "{p:?} missing from:\n{text}");
    }
}

#[test]
fn github_events() {
    says(
        &ok(Source::GitHub, "github/push.json"),
        &["pushed [3 commits]", "[`main`]", "acme/widgets", "`2f52d45`", "Bump serde to 1.0.215 — alice"],
    );
    let tag = ok(Source::GitHub, "github/push_tag.json");
    says(&tag, &["pushed tag", "`v1.2.0`"]);
    assert!(!tag.text.contains("0 commits"));
    let pr = ok(Source::GitHub, "github/pull_request_opened.json");
    says(&pr, &["opened pull request", "#42 Add stock reservation endpoint", "`feature/reservations`"]);
    assert_eq!(pr.attachments[0].color.as_deref(), Some("#2eb67d"));
    says(&ok(Source::GitHub, "github/pull_request_closed_merged.json"), &["merged pull request", "#41"]);
    says(
        &ok(Source::GitHub, "github/issues_opened.json"),
        &["opened issue", "Reservation expiry job double-releases stock"],
    );
    says(&ok(Source::GitHub, "github/issue_comment_created.json"), &["commented on issue", "SKIP LOCKED"]);
    says(&ok(Source::GitHub, "github/release_published.json"), &["published release", "v1.2.0"]);
    let failed = ok(Source::GitHub, "github/workflow_run_completed_failure.json");
    says(&failed, &["Workflow CI run", "failed"]);
    assert_eq!(failed.attachments[0].color.as_deref(), Some("#e01e5a"));
    says(&ok(Source::GitHub, "github/workflow_run_completed_success.json"), &["succeeded"]);
    says(&ok(Source::GitHub, "github/ping.json"), &["GitHub is connected"]);
    // An event no converter knows: a short generic message, not an error or a JSON dump.
    let star = ok(Source::GitHub, "github/star_created.json");
    says(&star, &["`star`", "acme/widgets"]);
    assert!(!star.text.contains('{'));
}

#[test]
fn gitlab_events() {
    says(
        &ok(Source::GitLab, "gitlab/push.json"),
        &["pushed 3 commits", "`main`", "Handle zero-amount invoices — Emil Sørensen"],
    );
    says(&ok(Source::GitLab, "gitlab/tag_push.json"), &["pushed tag", "`v2.4.0`"]);
    says(&ok(Source::GitLab, "gitlab/merge_request_opened.json"), &["opened merge request", "!57 Add dunning emails"]);
    says(&ok(Source::GitLab, "gitlab/merge_request_merged.json"), &["merged merge request", "!55"]);
    says(&ok(Source::GitLab, "gitlab/pipeline_failed.json"), &["#90412", "failed", "Failed jobs: rspec (test)"]);
    says(&ok(Source::GitLab, "gitlab/pipeline_success.json"), &["passed"]);
    says(&ok(Source::GitLab, "gitlab/issue_opened.json"), &["opened issue", "#118 Credit notes"]);
    says(&ok(Source::GitLab, "gitlab/note_on_issue.json"), &["`note`"]);
}

#[test]
fn alerts() {
    let firing = ok(Source::Alertmanager, "alertmanager/firing_two_alerts.json");
    says(
        &firing,
        &[
            "**Firing**",
            "2 firing",
            "FIRING CheckoutHighLatency",
            "Checkout p99 latency above 500ms",
            "severity: critical",
        ],
    );
    assert!(firing.attachments.iter().all(|a| a.color.as_deref() == Some("#e01e5a")));
    let resolved = ok(Source::Alertmanager, "alertmanager/resolved.json");
    says(&resolved, &["**Resolved**", "RESOLVED CheckoutHighLatency"]);
    assert!(resolved.attachments.iter().all(|a| a.color.as_deref() == Some("#2eb67d")));
    says(
        &ok(Source::Grafana, "grafana/firing.json"),
        &["FIRING:2", "DiskSpaceLow", "93.4", "[Dashboard]", "[Silence]"],
    );
    says(&ok(Source::Grafana, "grafana/resolved.json"), &["RESOLVED", "DiskSpaceLow"]);
    says(
        &ok(Source::Sentry, "sentry/issue_alert.json"),
        &["Sentry alert", "KeyError: 'CHF'", "Environment: production"],
    );
    says(&ok(Source::Sentry, "sentry/issue_created.json"), &["`ORDERS-BACKEND-3K`", "TimeoutError: payment gateway"]);
}

#[test]
fn slack_payloads() {
    assert_eq!(
        ok(Source::Slack, "slack/text_only.json").text,
        "Nightly backup of billing-db finished in 4m12s (38.2 GB)."
    );
    says(
        &ok(Source::Slack, "slack/mrkdwn.json"),
        &[
            "**Deploy summary**",
            "~~v2.3.9~~",
            "[run \\#8812](<https://deploy.example.com/runs/8812>)",
            "@alice",
            "#general",
            "@here",
            "Feb 18, 2014",
            "2 \\< 3",
        ],
    );
    let blocks = ok(Source::Slack, "slack/blocks_all.json");
    says(
        &blocks,
        &["**Deploy report", "---", "[View run]", "- VAT breakdown on invoice PDFs", "```\n$ billing-cli", "Demo"],
    );
    assert!(blocks.text.contains("**Zero-amount invoices** no longer crash"), "emphasis hugs its words");
    let legacy = ok(Source::Slack, "slack/attachments_legacy.json");
    assert_eq!(legacy.attachments.len(), 2);
    assert_eq!(legacy.attachments[0].color.as_deref(), Some("#e01e5a"));
    assert_eq!(legacy.attachments[1].color.as_deref(), Some("#36a64f"));
    assert!(legacy.attachments.iter().all(|a| a.ts.is_some()), "number and string timestamps both read");
    let o = ok(Source::Slack, "slack/overrides.json");
    assert!(o.username.is_some() && o.channel.is_some() && o.thread_ts.is_some());
    let with_blocks = ok(Source::Slack, "slack/attachments_with_blocks.json");
    says(&with_blocks, &["[Review]"]);
    assert_eq!(with_blocks.attachments[0].color.as_deref(), Some("#f2c744"));
}

#[test]
fn hostile_payloads_end_inert_or_refused() {
    for rel in [
        "hostile/html_everywhere.json",
        "hostile/dangerous_urls.json",
        "hostile/css_color_injection.json",
        "hostile/bidi_and_control_chars.json",
    ] {
        let m = ok(Source::Slack, rel);
        let text = shown(&m);
        // Markdown links only to the web or mail; no raw tag survives unescaped in text.
        for bad in ["](<javascript", "](<data:", "](<vbscript", "](<file:", "](<//"] {
            assert!(!text.to_lowercase().contains(bad), "{rel}: {bad}");
        }
        for a in &m.attachments {
            for url in [&a.title_link, &a.author_link, &a.image_url].into_iter().flatten() {
                assert!(
                    url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:"),
                    "{rel}: {url}"
                );
            }
            assert!(a.color.as_deref().is_none_or(|c| c.len() == 7 && c.starts_with('#')), "{rel}: {:?}", a.color);
            for label in [&a.title, &a.author, &a.footer].into_iter().flatten() {
                assert!(
                    !label.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                    "{rel}: {label:?}"
                );
            }
        }
        assert!(m.icon_url.as_deref().is_none_or(|u| u.starts_with("http")), "{rel}");
    }
    for rel in ["hostile/deep_nesting.json", "hostile/long_text_20k.json", "hostile/many_fields_5000.json"] {
        assert!(matches!(run(Source::Slack, rel), Err(ConvertError::InvalidPayload(_))), "{rel}");
    }
}

#[test]
fn every_fixture_file_converts_or_is_refused_cleanly() {
    for (source, sub) in [
        (Source::GitHub, "github"),
        (Source::GitLab, "gitlab"),
        (Source::Alertmanager, "alertmanager"),
        (Source::Grafana, "grafana"),
        (Source::Sentry, "sentry"),
        (Source::Slack, "slack"),
    ] {
        for entry in std::fs::read_dir(dir().join(sub)).expect("fixture dir") {
            let name = entry.expect("entry").file_name().into_string().expect("utf-8 name");
            if name.ends_with(".json") && !name.ends_with(".headers.json") {
                let m = ok(source, &format!("{sub}/{name}"));
                assert!(!m.text.trim().is_empty() || !m.attachments.is_empty(), "{sub}/{name} shows something");
            }
        }
    }
}
