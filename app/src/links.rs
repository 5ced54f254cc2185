//! Which parts of a message become links: only `http://` and `https://` URLs, so
//! that `javascript:`, `data:` and the like stay inert text. The pieces, joined,
//! are exactly the message, so nothing is lost or added on screen.

/// One piece of a message's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Characters that end a sentence rather than a URL when they come last.
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}', '\'', '"', '>'];

/// Splits `text` into plain pieces and http(s) links.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let at_word_start = i == 0 || text[..i].ends_with(char::is_whitespace);
        let scheme = ["https://", "http://"].into_iter().find(|s| {
            rest.get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s))
        });
        if let (true, Some(scheme)) = (at_word_start, scheme) {
            let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = rest[..word_len].trim_end_matches(TRAILING);
            if url.len() > scheme.len() && !url.contains(['<', '>', '"', '\'', '`']) {
                if plain_from < i {
                    out.push(Piece::Text(&text[plain_from..i]));
                }
                out.push(Piece::Link(url));
                i += url.len();
                plain_from = i;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    if plain_from < text.len() {
        out.push(Piece::Text(&text[plain_from..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::{Link, Text};

    fn joined(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Text(t) | Link(t) => *t,
            })
            .collect()
    }

    #[test]
    fn http_and_https_urls_become_links() {
        assert_eq!(
            pieces("see https://example.com/a?b=1, or HTTP://x.org."),
            [
                Text("see "),
                Link("https://example.com/a?b=1"),
                Text(", or "),
                Link("HTTP://x.org"),
                Text("."),
            ]
        );
        assert_eq!(pieces("(http://a.b/c)"), [Text("(http://a.b/c)")]);
        assert_eq!(pieces("http://a.b/c)"), [Link("http://a.b/c"), Text(")")]);
    }

    #[test]
    fn other_schemes_and_odd_urls_stay_text() {
        for text in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "ftp://example.com",
            "https://",
            "xhttps://example.com",
            "https://a.b/\"onmouseover=alert(1)",
            "https://a.b/<script>",
            "",
        ] {
            assert!(
                pieces(text).iter().all(|p| matches!(p, Text(_))),
                "{text}: {:?}",
                pieces(text)
            );
        }
    }

    #[test]
    fn the_pieces_are_exactly_the_text() {
        for text in [
            "plain",
            "a https://x.y b https://z.w/é?q=ü c",
            "多字节 https://例子.测试/路径。",
            "  leading and trailing  ",
            "https://only.example",
            "\u{202e}https://rtl.example\u{202c}",
        ] {
            assert_eq!(joined(&pieces(text)), text);
        }
    }
}
