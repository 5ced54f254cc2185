//! Full-text search terms, the same for every backend.
//!
//! Text is cut into terms here, in Rust, rather than by a database tokenizer: a
//! word of letters or digits is one term (lower-cased), and each character of a
//! script written without spaces (Chinese, Japanese, Korean) is a term of its
//! own. A query is cut the same way and each of its words must appear as a
//! phrase, its terms in a row: `退款` is the phrase `退 款`, which finds
//! `我要退款`, while English words match as prefixes (`refund` finds `refunds`).
//! SQLite keeps the terms in an FTS5 index; another backend indexes the same
//! string (e.g. PostgreSQL's `simple` text-search configuration, phrase queries
//! with `<->`).

/// Longest query read, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words of a query used; the rest are ignored.
const MAX_QUERY_WORDS: usize = 8;

/// Whether `c` belongs to a script written without spaces between words.
fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF      // CJK radicals, Kangxi radicals
        | 0x3005..=0x3007    // 々 〆 〇
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3100..=0x312F    // Bopomofo
        | 0x3130..=0x318F    // Hangul compatibility jamo
        | 0x31F0..=0x31FF    // Katakana extensions
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xA960..=0xA97F    // Hangul jamo extended A
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3134F  // CJK extensions B to G
    )
}

/// The terms of `text`, in order.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_unspaced(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// What an index keeps for `text`: its terms separated by spaces.
pub fn index_text(text: &str) -> String {
    terms(text).join(" ")
}

/// One word of a query: terms that must appear in a row, the last one possibly
/// as the start of a longer term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    pub terms: Vec<String>,
    /// Whether the last term may be the start of a longer one (a word of letters,
    /// not a character of an unspaced script).
    pub prefix: bool,
}

/// A query as phrases that must all match; empty when nothing in it can be
/// searched for (punctuation only, or blank).
pub fn query_phrases(query: &str) -> Vec<Phrase> {
    let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
    query
        .split_whitespace()
        .filter_map(|word| {
            let terms = terms(word);
            let last = terms.last()?;
            let prefix = !last.chars().any(is_unspaced);
            Some(Phrase { terms, prefix })
        })
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// The FTS5 `MATCH` expression for `query`, or `None` when there is nothing to
/// search for. Terms hold only letters and digits, so quoting them is enough to
/// keep FTS5's query syntax out of what people type.
pub fn fts5_match(query: &str) -> Option<String> {
    let phrases = query_phrases(query);
    if phrases.is_empty() {
        return None;
    }
    let expression = phrases
        .iter()
        .map(|phrase| {
            let quoted = format!("\"{}\"", phrase.terms.join(" "));
            if phrase.prefix {
                quoted + "*"
            } else {
                quoted
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Some(expression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_are_terms_of_their_own() {
        assert_eq!(index_text("我要退款"), "我 要 退 款");
        assert_eq!(index_text("订单ABC-123已发货"), "订 单 abc 123 已 发 货");
        assert_eq!(index_text("Refund, please!"), "refund please");
        assert_eq!(
            index_text("カタカナとひらがな"),
            "カ タ カ ナ と ひ ら が な"
        );
    }

    #[test]
    fn a_query_word_is_a_phrase_and_latin_words_match_as_prefixes() {
        assert_eq!(fts5_match("退款").as_deref(), Some("\"退 款\""));
        assert_eq!(
            fts5_match("Refund 订单").as_deref(),
            Some("\"refund\"* AND \"订 单\"")
        );
        assert_eq!(fts5_match("order-42").as_deref(), Some("\"order 42\"*"));
    }

    #[test]
    fn query_syntax_typed_by_people_is_only_text() {
        assert_eq!(
            fts5_match("\"a\" OR b*").as_deref(),
            Some("\"a\"* AND \"or\"* AND \"b\"*")
        );
        assert_eq!(
            fts5_match("NEAR(x y)").as_deref(),
            Some("\"near x\"* AND \"y\"*")
        );
        assert_eq!(fts5_match("  ?!  ").as_deref(), None);
        assert_eq!(fts5_match("").as_deref(), None);
    }

    #[test]
    fn long_queries_are_cut() {
        let long = "word ".repeat(100);
        assert_eq!(query_phrases(&long).len(), MAX_QUERY_WORDS);
    }
}
