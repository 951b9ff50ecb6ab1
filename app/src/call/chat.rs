//! The chat log as the panel shows it: stored messages, my messages waiting for their
//! acknowledgement, and system lines (joins, leaves, host actions), kept in time order
//! without duplicates however history pages, live messages and acknowledgements interleave.
//! Pure, so it is unit-tested; the engine feeds it.

use protocol::room::ChatMessage;
use protocol::signal::PeerId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    Mine,
    Theirs,
    /// Mine, sent, not yet acknowledged as stored.
    Pending,
    /// Mine, and the server did not take it.
    Failed,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatLine {
    /// Message id, `pending-{nonce}`, or `system-{n}`.
    pub key: String,
    pub from_name: String,
    /// Who sent it, for someone else's message (a private one is answered privately).
    pub from: Option<PeerId>,
    /// Private message: to whom (mine), or "to you" (theirs).
    pub to_name: Option<String>,
    pub private: bool,
    pub text: String,
    pub at_ms: i64,
    pub kind: LineKind,
}

impl ChatLine {
    pub fn from_message(message: ChatMessage, me: Option<&PeerId>) -> Self {
        // After a reload my peer id is new; the server marks what I sent before it.
        let mine = me == Some(&message.from) || message.from_me;
        Self {
            key: message.id,
            from: (!mine).then(|| message.from.clone()),
            from_name: message.from_name,
            private: message.to.is_some(),
            to_name: message.to_name,
            text: message.text,
            at_ms: message.at_ms,
            kind: if mine {
                LineKind::Mine
            } else {
                LineKind::Theirs
            },
        }
    }

    pub fn pending(nonce: u32, text: String, to_name: Option<String>, at_ms: i64) -> Self {
        Self {
            key: pending_key(nonce),
            from: None,
            from_name: String::new(),
            private: to_name.is_some(),
            to_name,
            text,
            at_ms,
            kind: LineKind::Pending,
        }
    }

    pub fn system(n: u64, text: String, at_ms: i64) -> Self {
        Self {
            key: format!("system-{n}"),
            from: None,
            from_name: String::new(),
            to_name: None,
            private: false,
            text,
            at_ms,
            kind: LineKind::System,
        }
    }

    fn unsettled(&self) -> bool {
        matches!(self.kind, LineKind::Pending | LineKind::Failed)
    }
}

pub fn pending_key(nonce: u32) -> String {
    format!("pending-{nonce}")
}

/// Adds lines not already there; settled lines in time order, unsettled ones (mine, on the
/// way) last.
pub fn merge(lines: &mut Vec<ChatLine>, incoming: impl IntoIterator<Item = ChatLine>) {
    for line in incoming {
        if !lines.iter().any(|l| l.key == line.key) {
            lines.push(line);
        }
    }
    // Stable: lines of the same millisecond keep their arrival order.
    lines.sort_by_key(|l| (l.unsettled(), l.at_ms));
}

/// My message `nonce` was stored: the pending line becomes the stored message.
pub fn acknowledge(
    lines: &mut Vec<ChatLine>,
    nonce: u32,
    message: ChatMessage,
    me: Option<&PeerId>,
) {
    let key = pending_key(nonce);
    lines.retain(|l| l.key != key);
    merge(lines, [ChatLine::from_message(message, me)]);
}

/// Marks my message `nonce` as not sent, if it is still waiting.
pub fn fail(lines: &mut [ChatLine], nonce: u32) -> bool {
    let key = pending_key(nonce);
    match lines
        .iter_mut()
        .find(|l| l.key == key && l.kind == LineKind::Pending)
    {
        Some(line) => {
            line.kind = LineKind::Failed;
            true
        }
        None => false,
    }
}

/// The id of the oldest stored message (history pages go back from it).
pub fn oldest_id(lines: &[ChatLine]) -> Option<String> {
    lines
        .iter()
        .find(|l| matches!(l.kind, LineKind::Mine | LineKind::Theirs))
        .map(|l| l.key.clone())
}

/// A piece of a message as shown: text, or a web link made clickable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Splits a message into text and `http(s)://` links (trailing punctuation stays text).
/// Nothing else is interpreted: no HTML, no other schemes.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link(rest) {
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let link = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        if link.len() > "https://".len() {
            out.push(Piece::Link(link));
        } else {
            out.push(Piece::Text(link));
        }
        rest = &tail[link.len()..];
        if link.is_empty() {
            break;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn find_link(text: &str) -> Option<usize> {
    let at = |scheme: &str| {
        text.match_indices(scheme)
            .map(|(i, _)| i)
            .find(|&i| i == 0 || text[..i].ends_with(char::is_whitespace))
    };
    match (at("https://"), at("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, from: &str, at_ms: i64) -> ChatMessage {
        ChatMessage {
            id: id.into(),
            from: PeerId(from.into()),
            from_name: from.to_uppercase(),
            to: None,
            to_name: None,
            text: format!("text {id}"),
            at_ms,
            from_me: false,
        }
    }

    #[test]
    fn a_message_i_sent_before_a_reload_is_mine() {
        let me = PeerId("new-id".into());
        let before_reload = ChatMessage {
            from_me: true,
            ..message("a", "old-id", 1)
        };
        assert_eq!(
            ChatLine::from_message(before_reload, Some(&me)).kind,
            LineKind::Mine
        );
        let theirs = ChatLine::from_message(message("b", "other", 2), Some(&me));
        assert_eq!(theirs.kind, LineKind::Theirs);
    }

    #[test]
    fn history_live_messages_and_acks_merge_in_order_without_duplicates() {
        let me = PeerId("me".into());
        let mut lines = Vec::new();
        merge(
            &mut lines,
            [ChatLine::from_message(message("b", "x", 20), Some(&me))],
        );
        lines.push(ChatLine::pending(1, "hello".into(), None, 25));
        merge(&mut lines, [ChatLine::system(1, "Y joined".into(), 22)]);
        // An older history page, overlapping what is there.
        merge(
            &mut lines,
            [message("a", "y", 10), message("b", "x", 20)]
                .map(|m| ChatLine::from_message(m, Some(&me))),
        );
        let keys: Vec<&str> = lines.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "system-1", "pending-1"]);
        assert_eq!(oldest_id(&lines).as_deref(), Some("a"));

        acknowledge(&mut lines, 1, message("c", "me", 30), Some(&me));
        let last = lines.last().unwrap();
        assert_eq!((last.key.as_str(), last.kind), ("c", LineKind::Mine));
        assert_eq!(lines.len(), 4);
        assert!(!fail(&mut lines, 1), "an acknowledged message cannot fail");
    }

    #[test]
    fn only_web_links_become_links() {
        assert_eq!(
            pieces("see https://example.com/a?b=1, or http://x.org."),
            vec![
                Piece::Text("see "),
                Piece::Link("https://example.com/a?b=1"),
                Piece::Text(", or "),
                Piece::Link("http://x.org"),
                Piece::Text("."),
            ]
        );
        assert_eq!(
            pieces("javascript:alert(1) <b>x</b>"),
            vec![Piece::Text("javascript:alert(1) <b>x</b>")]
        );
        assert_eq!(pieces("nohttps://x"), vec![Piece::Text("nohttps://x")]);
        assert_eq!(pieces("https://"), vec![Piece::Text("https://")]);
        assert_eq!(pieces(""), Vec::<Piece>::new());
    }
}
