//! The API's reference page, written from the OpenAPI document when the server
//! starts: every operation with its parameters, body and answers, and every
//! schema with its fields. Served by the server itself, no script, no CDN.

use serde_json::Value;
use std::fmt::Write;

/// The page's style sheet (`/api/v1/reference.css`).
pub const STYLE: &str = "\
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#1f2933}\
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:1px solid #d9e2ec}\
section.op{border:1px solid #d9e2ec;border-radius:6px;padding:.25rem 1rem;margin:1rem 0}\
.method{display:inline-block;min-width:3.5rem;font-weight:700;text-transform:uppercase}\
.get{color:#0b6e4f}.post{color:#8a4b08}code{background:#f0f4f8;padding:0 .2rem;border-radius:3px}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{text-align:left;padding:.2rem .5rem;\
border-bottom:1px solid #eef2f6;vertical-align:top}th{font-weight:600}\
nav ul{columns:2}";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A schema's type as a short phrase: `string`, `array of Message`, a link to
/// a named schema.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = options
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .map(type_of)
                .collect();
            let nullable = options
                .iter()
                .any(|o| o.get("type").and_then(Value::as_str) == Some("null"));
            return format!(
                "{}{}",
                parts.join(" or "),
                if nullable { " or null" } else { "" }
            );
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .filter_map(Value::as_str)
            .map(|v| format!("<code>{}</code>", escape(v)))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::from("any"),
    };
    match schema.get("items") {
        Some(items) => format!("array of {}", type_of(items)),
        None => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{} ({})", escape(&kind), escape(format)),
            None => escape(&kind),
        },
    }
}

fn body_type(content: &Value) -> String {
    content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(media, body)| {
            format!(
                "{} <code>{}</code>",
                body.get("schema").map(type_of).unwrap_or_default(),
                escape(media)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let anchor = format!("{method}-{path}").replace(['/', '{', '}'], "-");
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"method {method}\">{method}</span> \
         <code>{}</code></h3>",
        escape(&anchor),
        escape(path)
    );
    let summary = text(op, "summary");
    if !summary.is_empty() {
        let _ = write!(out, "<p><strong>{}</strong></p>", escape(summary));
    }
    for line in text(op, "description").split("\n\n") {
        if !line.trim().is_empty() {
            let _ = write!(out, "<p>{}</p>", escape(line.trim()));
        }
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array) {
        out.push_str("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>About</th></tr>");
        for param in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(text(param, "name")),
                if param.get("required").and_then(Value::as_bool) == Some(true) {
                    " (required)"
                } else {
                    ""
                },
                escape(text(param, "in")),
                param.get("schema").map(type_of).unwrap_or_default(),
                escape(text(param, "description"))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let _ = write!(
            out,
            "<p>Body: {}</p>",
            body.get("content").map(body_type).unwrap_or_default()
        );
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        out.push_str("<table><tr><th>Answer</th><th>About</th><th>Body</th></tr>");
        for (status, response) in responses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                escape(text(response, "description")),
                response.get("content").map(body_type).unwrap_or_default()
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

fn schema(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(out, "<section id=\"schema-{0}\"><h3>{0}</h3>", escape(name));
    let about = text(schema, "description");
    if !about.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(about));
    }
    match schema.get("properties").and_then(Value::as_object) {
        Some(fields) => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push_str("<table><tr><th>Field</th><th>Type</th><th>About</th></tr>");
            for (field, value) in fields {
                let _ = write!(
                    out,
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(field),
                    if required.contains(&field.as_str()) {
                        ""
                    } else {
                        " (optional)"
                    },
                    type_of(value),
                    escape(text(value, "description"))
                );
            }
            out.push_str("</table>");
        }
        None => {
            let _ = write!(out, "<p>{}</p>", type_of(schema));
        }
    }
    out.push_str("</section>");
}

/// The whole page.
pub fn page(document: &utoipa::openapi::OpenApi) -> String {
    let doc = serde_json::to_value(document).expect("the OpenAPI document serialises");
    let info = &doc["info"];
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/api/v1/reference.css\">",
    );
    let _ = write!(
        out,
        "<title>{0}</title></head><body><h1>{0}</h1><p>Version {1}. \
         The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> \
         (OpenAPI {2}).</p><p>{3}</p>",
        escape(text(info, "title")),
        escape(text(info, "version")),
        escape(text(&doc, "openapi")),
        escape(text(info, "description"))
    );
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    out.push_str("<nav><h2>Operations</h2><ul>");
    for (path, item) in &paths {
        for (method, _) in item.as_object().into_iter().flatten() {
            let anchor = format!("{method}-{path}").replace(['/', '{', '}'], "-");
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"method {method}\">{method}</span> {}</a></li>",
                escape(&anchor),
                escape(path)
            );
        }
    }
    out.push_str("</ul></nav><h2>Operations</h2>");
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            operation(&mut out, path, method, op);
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, value) in schemas {
            schema(&mut out, name, value);
        }
    }
    out.push_str("</body></html>");
    out
}
