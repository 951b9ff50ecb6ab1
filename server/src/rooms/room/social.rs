//! Chat fan-out, raised hands and reactions. Chat is stored by the socket task before
//! `chat` is called here (a message is acknowledged only once stored); the room decides who
//! may send to whom and who receives it.

use super::{Effect, Room, RoomError};
use protocol::room::{ChatMessage, Reaction};
use protocol::signal::{PeerId, ServerMsg};

/// The names a chat message carries, checked before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatNames {
    pub from: String,
    pub to: Option<String>,
    /// The sender's and the recipient's `Identity::chat_key`.
    pub from_who: String,
    pub to_who: Option<String>,
}

impl Room {
    /// May `from` send a message to `to` (everyone when `None`)? The names to store with it.
    pub fn chat_names(&self, from: &PeerId, to: Option<&PeerId>) -> Result<ChatNames, RoomError> {
        if self.is_waiting(from) {
            return Err(RoomError::Waiting);
        }
        let sender = self.members.get(from).ok_or(RoomError::UnknownPeer)?;
        let to = match to {
            Some(to) if to == from => return Err(RoomError::UnknownPeer),
            Some(to) => Some(self.members.get(to).ok_or(RoomError::UnknownPeer)?),
            None => None,
        };
        Ok(ChatNames {
            from: sender.info.display_name.clone(),
            to: to.map(|m| m.info.display_name.clone()),
            from_who: sender.identity.chat_key(),
            to_who: to.map(|m| m.identity.chat_key()),
        })
    }

    /// `peer`'s `Identity::chat_key`, if `peer` is in the room.
    pub fn chat_key(&self, peer: &PeerId) -> Option<String> {
        self.members.get(peer).map(|m| m.identity.chat_key())
    }

    /// A stored message to whoever may read it, the sender excepted (it gets `chat_ack`).
    /// People reconnecting catch up from the history when they are back.
    pub fn chat(&self, message: ChatMessage) -> Vec<Effect> {
        let mut out = Vec::new();
        let from = message.from.clone();
        match message.to.clone() {
            None => self.broadcast(&from, &ServerMsg::Chat { message }, &mut out),
            Some(to) => {
                if self
                    .members
                    .get(&to)
                    .is_some_and(|m| m.dropped_at.is_none())
                {
                    out.push(Effect::Send {
                        to,
                        msg: ServerMsg::Chat { message },
                    });
                }
            }
        }
        out
    }

    /// Raises or lowers `peer`'s hand; hands keep the order they went up in.
    pub fn hand(&mut self, peer: &PeerId, raised: bool) -> Vec<Effect> {
        let mut out = Vec::new();
        let next = self.hands_raised + 1;
        let Some(member) = self.members.get_mut(peer) else {
            return out;
        };
        let changed = match (raised, member.info.hand) {
            (true, None) => {
                member.info.hand = Some(next);
                true
            }
            (false, Some(_)) => {
                member.info.hand = None;
                true
            }
            _ => false,
        };
        if changed {
            if raised {
                self.hands_raised = next;
            }
            let update = ServerMsg::PeerUpdated {
                peer: member.info.clone(),
            };
            self.broadcast(peer, &update, &mut out);
        }
        out
    }

    /// A reaction shows briefly on `peer`'s tile for everyone else.
    pub fn react(&self, peer: &PeerId, reaction: Reaction) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.members.contains_key(peer) {
            let msg = ServerMsg::Reaction {
                from: peer.clone(),
                reaction,
            };
            self.broadcast(peer, &msg, &mut out);
        }
        out
    }
}
