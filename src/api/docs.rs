//! /api/docs: a browsable reference rendered on the server from the OpenAPI document
//! (no third-party script, so it works offline and under a strict CSP).
use actix_web::{get, HttpResponse};
use askama::Template;
use serde_json::Value;

use super::openapi::document;
use crate::error::{AppResult, ERROR_CODES};

pub struct DocParam {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub description: String,
}

pub struct DocOperation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub params: Vec<DocParam>,
    pub body: Option<String>,
    pub responses: Vec<(String, String)>,
}

pub struct DocTag {
    pub name: String,
    pub description: String,
    pub operations: Vec<DocOperation>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    tags: Vec<DocTag>,
    schemas: Vec<(String, String)>,
    errors: Vec<(String, u16, String)>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn schema_name(v: &Value) -> Option<String> {
    let schema = v.pointer("/content/application~1json/schema")?;
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(r.rsplit('/').next().unwrap_or(r).to_owned());
    }
    if let Some(r) = schema.pointer("/items/$ref").and_then(Value::as_str) {
        return Some(format!("[{}]", r.rsplit('/').next().unwrap_or(r)));
    }
    Some("object".into())
}

fn operations(doc: &Value) -> Vec<(String, DocOperation)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return out };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("other").to_owned();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| DocParam {
                            name: text(p, "name"),
                            location: text(p, "in"),
                            required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                            description: text(p, "description"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|rs| {
                    rs.iter()
                        .map(|(status, r)| {
                            let desc = text(r, "description");
                            let body = schema_name(r).map(|s| format!(" → {s}")).unwrap_or_default();
                            (status.clone(), format!("{desc}{body}"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let summary =
                [text(op, "summary"), text(op, "description")].into_iter().find(|s| !s.is_empty()).unwrap_or_default();
            out.push((
                tag,
                DocOperation {
                    method: method.clone(),
                    path: path.clone(),
                    summary,
                    params,
                    body: op.get("requestBody").and_then(schema_name),
                    responses,
                },
            ));
        }
    }
    out
}

#[get("/api/docs")]
pub async fn docs_page() -> AppResult<HttpResponse> {
    let doc = serde_json::to_value(document()).map_err(anyhow::Error::from)?;
    let mut tags: Vec<DocTag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| DocTag { name: text(t, "name"), description: text(t, "description"), operations: Vec::new() })
                .collect()
        })
        .unwrap_or_default();
    for (tag, op) in operations(&doc) {
        match tags.iter_mut().find(|t| t.name == tag) {
            Some(t) => t.operations.push(op),
            None => tags.push(DocTag { name: tag, description: String::new(), operations: vec![op] }),
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.iter().map(|(k, v)| (k.clone(), serde_json::to_string_pretty(v).unwrap_or_default())).collect())
        .unwrap_or_default();
    let errors = ERROR_CODES.iter().map(|(c, s, m)| ((*c).to_owned(), *s, (*m).to_owned())).collect();
    let html = DocsPage { tags, schemas, errors }.render().map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}
