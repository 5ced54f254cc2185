//! A conversation's transcript as plain text, the same for whoever downloads it:
//! its entries in order, each with its time (UTC) and author, notices as they
//! read in the window, internal notes marked as such. What goes in is what the
//! reader may see; the server picks the entries ([`crate::protocol::Visibility`]).

use crate::components::notice_text;
use crate::i18n::{shown_name, t, Key, Lang};
use crate::ids::ConversationId;
use crate::protocol::{Body, ChatMessage, Visibility};

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(at_ms: i64) -> String {
    let iso = crate::time::iso(at_ms);
    format!("{} {} UTC", &iso[..10], &iso[11..19])
}

/// The transcript of `id`: a heading with who took part, then one line per entry.
pub fn render(
    lang: Lang,
    id: ConversationId,
    people: &[String],
    entries: &[ChatMessage],
) -> String {
    let mut out = format!("{}: {id}\n", t(lang, Key::Transcript));
    if !people.is_empty() {
        let names: Vec<String> = people.iter().map(|n| shown_name(lang, n)).collect();
        out.push_str(&format!(
            "{}: {}\n",
            t(lang, Key::Participants),
            names.join(", ")
        ));
    }
    out.push('\n');
    for entry in entries {
        let when = utc(entry.at_ms);
        match &entry.body {
            Body::Text { text } => {
                let name = entry
                    .author
                    .as_ref()
                    .map(|a| shown_name(lang, &a.name))
                    .unwrap_or_default();
                let note = if entry.visibility == Visibility::Agents {
                    format!(" ({})", t(lang, Key::InternalNote))
                } else {
                    String::new()
                };
                // Continuation lines are indented, so that no line of a message
                // can pass for an entry of its own.
                let text: String = text
                    .replace("\r\n", "\n")
                    .split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
                    .collect::<Vec<_>>()
                    .join("\n    ");
                out.push_str(&format!("[{when}] {name}{note}: {text}\n"));
            }
            Body::Notice(notice) => {
                out.push_str(&format!("[{when}] * {}\n", notice_text(lang, notice)));
            }
        }
    }
    out
}

/// The file name a transcript is saved under.
pub fn file_name(id: ConversationId) -> String {
    format!("transcript-{id}.txt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AgentId, MessageId, Participant, VisitorId};
    use crate::protocol::{Author, Notice};
    use uuid::Uuid;

    fn entry(
        seq: u64,
        author: Option<(&str, Participant)>,
        body: Body,
        visibility: Visibility,
    ) -> ChatMessage {
        ChatMessage {
            seq,
            id: MessageId(Uuid::from_u128(seq as u128)),
            author: author.map(|(name, participant)| Author {
                participant,
                name: name.into(),
            }),
            body,
            at_ms: 1_764_612_000_000 + seq as i64 * 1000,
            visibility,
            file: None,
        }
    }

    #[test]
    fn every_entry_a_line_with_its_time_and_author_notes_marked() {
        let visitor = Participant::Visitor(VisitorId(Uuid::from_u128(1)));
        let agent = Participant::Agent(AgentId(Uuid::from_u128(2)));
        let entries = [
            entry(
                1,
                Some(("Visitor 0427", visitor)),
                Body::Text {
                    text: "我要退款\n[fake] Ann: yes".into(),
                },
                Visibility::Everyone,
            ),
            entry(
                2,
                None,
                Body::Notice(Notice::Joined { name: "Ann".into() }),
                Visibility::Everyone,
            ),
            entry(
                3,
                Some(("Ann", agent)),
                Body::Text {
                    text: "approved".into(),
                },
                Visibility::Agents,
            ),
        ];
        let id = ConversationId(Uuid::from_u128(9));
        let text = render(
            Lang::En,
            id,
            &["Visitor 0427".into(), "Ann".into()],
            &entries,
        );
        assert!(
            text.starts_with(&format!(
                "Transcript: {id}\nParticipants: Visitor 0427, Ann\n\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(
                "[2025-12-01 18:00:01 UTC] Visitor 0427: 我要退款\n    [fake] Ann: yes\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("[2025-12-01 18:00:02 UTC] * Ann joined the conversation\n"),
            "{text}"
        );
        assert!(text.contains("Ann (Internal note): approved\n"), "{text}");
        let zh = render(Lang::ZhHans, id, &["Visitor 0427".into()], &entries[..2]);
        assert!(zh.contains("访客 0427: 我要退款"), "{zh}");
        assert!(zh.contains("Ann 加入了会话"), "{zh}");
        assert_eq!(file_name(id), format!("transcript-{id}.txt"));
    }
}
