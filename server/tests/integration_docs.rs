//! The recipes of docs/integrations.md, run as written: the webhook checks
//! against signatures the server makes (a real one verifies, a forged body, a
//! wrong secret and an old timestamp do not), and the identity hashes against
//! the one the server checks.

use server::webhooks::delivery::signature;

const DOC: &str = include_str!("../../docs/integrations.md");

/// The code blocks of `language` in the document, in order.
fn recipes(language: &str) -> Vec<&'static str> {
    let fence = format!("```{language}\n");
    DOC.match_indices(&fence)
        .map(|(at, _)| {
            let start = at + fence.len();
            let end = DOC[start..].find("```").unwrap() + start;
            &DOC[start..end]
        })
        .collect()
}

/// The first code block of `language`: the signature check.
fn recipe(language: &str) -> &'static str {
    recipes(language)[0]
}

/// Runs `program` with `script` on standard input; what it printed.
fn run(program: &str, args: &[&str], script: &str) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(script.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(out.status.success(), "{program} failed on:\n{script}");
    Some(String::from_utf8(out.stdout).unwrap())
}

struct Case {
    secret: &'static str,
    header: String,
    body: &'static str,
}

fn cases() -> (Vec<Case>, &'static str) {
    let now = server::clock::now_ms() / 1000;
    let body = r#"{"id":"e1","event":"message.created","data":{"text":"héllo \"you\""}}"#;
    let good = signature("whsec_0123456789abcdef", now, body);
    let cases = vec![
        Case {
            secret: "whsec_0123456789abcdef",
            header: good.clone(),
            body,
        },
        Case {
            secret: "whsec_0123456789abcdef",
            header: good.clone(),
            body: r#"{"id":"e1"}"#,
        },
        Case {
            secret: "another secret",
            header: good,
            body,
        },
        Case {
            secret: "whsec_0123456789abcdef",
            header: signature("whsec_0123456789abcdef", now - 3600, body),
            body,
        },
    ];
    (cases, "True False False False")
}

#[test]
fn the_python_recipe_verifies_real_signatures_only() {
    let (cases, want) = cases();
    let mut script = recipe("python").to_owned();
    script.push_str("\nresults = []\n");
    for case in &cases {
        script.push_str(&format!(
            "results.append(verify({:?}, {:?}, {:?}.encode()))\n",
            case.secret, case.header, case.body
        ));
    }
    script.push_str("print(' '.join(str(r) for r in results))\n");
    let Some(out) = run("python3", &["-"], &script) else {
        eprintln!("notice: no python3; skipping the Python recipe");
        return;
    };
    assert_eq!(out.trim(), want);
}

#[test]
fn the_node_recipe_verifies_real_signatures_only() {
    let (cases, want) = cases();
    let mut script = recipe("js").to_owned();
    script.push_str("\nconst results = [];\n");
    for case in &cases {
        script.push_str(&format!(
            "results.push(verify({}, {}, Buffer.from({}, 'utf8')));\n",
            serde_json::to_string(case.secret).unwrap(),
            serde_json::to_string(&case.header).unwrap(),
            serde_json::to_string(case.body).unwrap()
        ));
    }
    script.push_str("console.log(results.map((r) => (r ? 'True' : 'False')).join(' '));\n");
    let Some(out) = run("node", &["-"], &script) else {
        eprintln!("notice: no node; skipping the Node.js recipe");
        return;
    };
    assert_eq!(out.trim(), want);
}

#[test]
fn the_rust_recipe_is_the_servers_own_check() {
    // The document's Rust recipe and `verify` agree on the format.
    assert!(recipe("rust").contains("mac.verify_slice(&v1).is_ok()"));
    let (cases, want) = cases();
    let now = server::clock::now_ms() / 1000;
    let got: Vec<&str> = cases
        .iter()
        .map(|c| {
            if server::webhooks::delivery::verify(c.secret, &c.header, c.body, now, 300) {
                "True"
            } else {
                "False"
            }
        })
        .collect();
    assert_eq!(got.join(" "), want);
}

#[test]
fn the_user_hash_recipes_make_the_hash_the_server_checks() {
    use server::chat::identity::user_hash;
    let want = user_hash("site secret", "user-42");
    let python = format!(
        "{}\nprint(user_hash({:?}, {:?}))\n",
        recipes("python")[1],
        "site secret",
        "user-42"
    );
    if let Some(out) = run("python3", &["-"], &python) {
        assert_eq!(out.trim(), want);
    }
    let node = format!(
        "{}\nconsole.log(userHash(\"site secret\", \"user-42\"));\n",
        recipes("js")[1]
    );
    if let Some(out) = run("node", &["-"], &node) {
        assert_eq!(out.trim(), want);
    }
    assert!(recipes("rust")[1].contains("mac.update(user_id.as_bytes());"));
}
