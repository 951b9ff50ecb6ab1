//! One meeting's live state as a pure state machine: who is in the room, their media state,
//! who is reconnecting (and what waits for them), and the room's topology. Every method takes
//! its input and `now` and returns what to do (`Effect`s); nothing here spawns, sleeps, locks
//! or touches a socket, so the tests run on a virtual clock. The registry (`Rooms`) owns the
//! sockets' outboxes, applies the effects, and calls `expire` on a timer.
//!
//! Host actions and the lobby are in `host`; chat, hands and reactions in `social`.

mod host;
mod social;

pub use social::ChatNames;

use protocol::UserId;
use protocol::room::Waiter;
use protocol::signal::{
    EndReason, HEARTBEAT_SECS, MAX_HELD_RELAYS, MediaState, PeerId, PeerInfo, Role, ServerMsg,
    Topology,
};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// A room that shrank back to `p2p_max` waits this long before leaving the SFU, so someone
/// who rejoins at once does not cause two switches.
pub const SWITCH_BACK_DELAY: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("the meeting is full")]
    Full,
    #[error("no such participant in this meeting")]
    UnknownPeer,
    #[error("unknown or expired resume token")]
    UnknownResume,
    #[error("the meeting is locked")]
    Locked,
    #[error("removed from this meeting")]
    Removed,
    #[error("not allowed for this role")]
    Forbidden,
    #[error("still waiting in the lobby")]
    Waiting,
    #[error("the host ended this meeting")]
    Ended,
}

/// Who someone is across joins: a signed-in user, or a guest's browser key. Removal and the
/// moderator role stick to it for the life of the room.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    User(UserId),
    Guest(String),
}

impl Identity {
    /// Who sent or received a chat message, as stored with it: the same across rejoins and
    /// reloads (a peer id is not), so private messages stay readable to their two people. A
    /// guest's browser key is stored hashed.
    pub fn chat_key(&self) -> String {
        use sha2::{Digest, Sha256};
        match self {
            Identity::User(id) => format!("user:{}", id.0),
            Identity::Guest(key) => {
                let digest = Sha256::digest(key.as_bytes());
                let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
                format!("guest:{hex}")
            }
        }
    }

    /// The role this person has without promotion.
    fn base_role(&self) -> Role {
        match self {
            Identity::User(_) => Role::Participant,
            Identity::Guest(_) => Role::Guest,
        }
    }
}

/// What the room asks its registry to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Put `msg` on `to`'s socket (only ever for a connected participant).
    Send { to: PeerId, msg: ServerMsg },
    /// The same `msg` to each of `to` (connected participants): serialized once.
    Broadcast { to: Vec<PeerId>, msg: ServerMsg },
    /// `peer` is gone for good: forget its resume token, free its socket, tell the SFU.
    Left { peer: PeerId, resume_token: String },
    /// `peer`'s media changed (announced, or a host's mute): the SFU forwards by this, not by
    /// what the participant's own client does.
    Media { peer: PeerId, media: MediaState },
    /// The room changed topology (for metrics).
    Switched(Topology),
    /// `peer` took a seat (for attendance; its departure is `Left`).
    Arrived {
        peer: PeerId,
        name: String,
        user: Option<UserId>,
    },
}

/// Who joins, as the join step checked it.
#[derive(Debug, Clone)]
pub struct Joining {
    pub peer: PeerId,
    pub display_name: String,
    /// Path of the profile picture, if any.
    pub avatar: Option<String>,
    pub role: Role,
    pub identity: Identity,
    pub resume_token: String,
    pub capacity: u32,
    /// The meeting has a lobby: people who do not run the room wait to be admitted.
    pub lobby: bool,
}

/// What a joined or resumed participant learns in `welcome`.
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    pub session: u64,
    pub others: Vec<PeerInfo>,
    pub topology: Topology,
}

/// Where a joining person ends up.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// In the room (`welcome` is on its way to them).
    Seated(Welcome),
    /// In the lobby (`waiting` is on its way to them).
    Waiting,
}

#[derive(Debug)]
struct Member {
    info: PeerInfo,
    /// Since when the socket is gone (`None` while connected).
    dropped_at: Option<Instant>,
    /// Offers, answers and candidates addressed to this participant while its socket is down,
    /// delivered on resume (see `MAX_HELD_RELAYS`).
    held: Vec<ServerMsg>,
    resume_token: String,
    /// Bumped on every (re)connection so a stale disconnect cannot remove a resumed peer.
    session: u64,
    identity: Identity,
    /// Their page said it is going away (`leaving`): a reload comes back within
    /// `RELOAD_GRACE`, a closed tab does not, and the others should not wait the whole
    /// resume window for it.
    leaving: bool,
}

/// How long a seat waits for the page that said it is going away (a reload) to come back.
pub const RELOAD_GRACE: Duration = Duration::from_secs(8);

/// Someone in the lobby. They have a socket but no seat: no media, no participant list.
#[derive(Debug)]
struct Waiting {
    peer: PeerId,
    joining: Joining,
}

#[derive(Debug)]
pub struct Room {
    /// Set by the registry: this life of the room, and the meeting's record key.
    pub id: String,
    pub meeting: String,
    members: BTreeMap<PeerId, Member>,
    topology: Topology,
    /// Since when the room is small enough to go back to peer-to-peer.
    small_since: Option<Instant>,
    p2p_max: usize,
    resume_window: Duration,
    /// The lobby, in arrival order.
    waiting: Vec<Waiting>,
    locked: bool,
    /// Kept out until the room ends.
    removed: HashSet<Identity>,
    /// A guest was removed: a guest cannot be recognised across browsers (a new browser, or
    /// cleared storage, is a new key), so from then on every new guest waits in the lobby
    /// for someone who runs the room, lobby or not.
    guests_wait: bool,
    /// Promoted people keep the role if they rejoin.
    moderators: HashSet<Identity>,
    /// Everyone who was seated in this room's life: coming back (a reload, "Rejoin") they
    /// are not new, so neither the lobby nor the guests-wait rule holds them again.
    seated_before: HashSet<Identity>,
    /// Counts raised hands, so their order is kept.
    hands_raised: u32,
}

impl Room {
    pub fn new(p2p_max: usize, resume_window: Duration) -> Self {
        Self {
            id: String::new(),
            meeting: String::new(),
            members: BTreeMap::new(),
            topology: Topology::P2p,
            small_since: None,
            p2p_max,
            resume_window,
            waiting: Vec::new(),
            locked: false,
            removed: HashSet::new(),
            guests_wait: false,
            moderators: HashSet::new(),
            seated_before: HashSet::new(),
            hands_raised: 0,
        }
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Whether `identity` with `role` would be let in now (the join step asks before it
    /// issues a ticket; `join` checks again).
    /// The meeting's owner (the join step gives them `Role::Host`) is never kept out: after
    /// handing the host role over they may have been removed, and must be able to come back
    /// and run their meeting again.
    pub fn admits(&self, identity: &Identity, role: Role) -> Result<(), RoomError> {
        if role != Role::Host && self.removed.contains(identity) {
            return Err(RoomError::Removed);
        }
        if self.locked && role != Role::Host {
            return Err(RoomError::Locked);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// People in the lobby.
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// Nobody seated and nobody waiting.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.waiting.is_empty()
    }

    pub fn is_waiting(&self, peer: &PeerId) -> bool {
        self.waiting.iter().any(|w| &w.peer == peer)
    }

    pub fn topology(&self) -> Topology {
        self.topology
    }

    pub fn media_of(&self, peer: &PeerId) -> Option<MediaState> {
        self.members.get(peer).map(|m| m.info.media.clone())
    }

    pub fn role_of(&self, peer: &PeerId) -> Option<Role> {
        self.members.get(peer).map(|m| m.info.role)
    }

    /// The session number of `peer`'s current connection.
    pub fn session_of(&self, peer: &PeerId) -> Option<u64> {
        self.members.get(peer).map(|m| m.session)
    }

    fn name_of(&self, peer: &PeerId) -> String {
        self.members
            .get(peer)
            .map(|m| m.info.display_name.clone())
            .unwrap_or_default()
    }

    /// `msg` to everyone connected, `peer` included.
    fn broadcast_all(&self, msg: &ServerMsg, out: &mut Vec<Effect>) {
        self.broadcast(&PeerId(String::new()), msg, out);
    }

    /// The lobby as hosts and moderators see it.
    fn lobby(&self) -> ServerMsg {
        ServerMsg::Lobby {
            waiting: self
                .waiting
                .iter()
                .map(|w| Waiter {
                    id: w.peer.clone(),
                    display_name: w.joining.display_name.clone(),
                    signed_in: matches!(w.joining.identity, Identity::User(_)),
                })
                .collect(),
        }
    }

    /// Tells everyone who runs the room (or just `only`) who is waiting now.
    fn lobby_changed(&self, only: Option<&PeerId>, out: &mut Vec<Effect>) {
        let msg = self.lobby();
        for (id, member) in &self.members {
            if member.info.role.runs_room()
                && member.dropped_at.is_none()
                && only.is_none_or(|o| o == id)
            {
                out.push(Effect::Send {
                    to: id.clone(),
                    msg: msg.clone(),
                });
            }
        }
    }

    fn welcome_of(&self, peer: &PeerId) -> (Welcome, ServerMsg) {
        let member = &self.members[peer];
        let welcome = Welcome {
            session: member.session,
            others: self.infos(peer),
            topology: self.topology,
        };
        let msg = ServerMsg::Welcome {
            you: peer.clone(),
            resume_token: member.resume_token.clone(),
            peers: welcome.others.clone(),
            heartbeat_secs: HEARTBEAT_SECS,
            topology: self.topology,
            locked: self.locked,
            role: Some(member.info.role),
        };
        (welcome, msg)
    }

    /// `msg` to everyone connected except `except`.
    fn broadcast(&self, except: &PeerId, msg: &ServerMsg, out: &mut Vec<Effect>) {
        let to: Vec<PeerId> = self
            .members
            .iter()
            .filter(|(id, member)| *id != except && member.dropped_at.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if !to.is_empty() {
            out.push(Effect::Broadcast {
                to,
                msg: msg.clone(),
            });
        }
    }

    /// `msg` to one participant: now, or on its resume if it is reconnecting.
    fn send_or_hold(&mut self, to: &PeerId, msg: ServerMsg, out: &mut Vec<Effect>) {
        let Some(member) = self.members.get_mut(to) else {
            return;
        };
        match member.dropped_at {
            None => out.push(Effect::Send {
                to: to.clone(),
                msg,
            }),
            Some(_) => hold(&mut member.held, msg),
        }
    }

    fn infos(&self, except: &PeerId) -> Vec<PeerInfo> {
        self.members
            .iter()
            .filter(|(id, _)| *id != except)
            .map(|(_, m)| m.info.clone())
            .collect()
    }

    /// `peer`'s page is going away (closed, or reloading): their seat waits `RELOAD_GRACE`
    /// for a reload once the socket is gone, not the whole resume window.
    pub fn leaving(&mut self, peer: &PeerId) {
        if let Some(member) = self.members.get_mut(peer) {
            member.leaving = true;
        }
    }

    /// `peer` resumed their seat from a fresh page (a reload): everyone else hears it, to
    /// drop the link they had to the old page. Nothing for someone not seated.
    pub fn restarted(&mut self, peer: &PeerId) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.members.contains_key(peer) {
            let msg = ServerMsg::PeerRestarted { peer: peer.clone() };
            self.broadcast(peer, &msg, &mut out);
        }
        out
    }

    /// Lets a participant in: seated (everyone already there hears `peer_joined`; one past
    /// `p2p_max` moves the room to the SFU), or into the lobby if the meeting has one (or a
    /// guest was removed and this is a guest) and they do not run the room. Removed people,
    /// and everyone but the host while the room is locked, are refused.
    pub fn join(
        &mut self,
        mut joining: Joining,
        now: Instant,
    ) -> Result<(Entry, Vec<Effect>), RoomError> {
        if self.moderators.contains(&joining.identity) && joining.role != Role::Host {
            joining.role = Role::Moderator;
        }
        self.admits(&joining.identity, joining.role)?;
        if self.members.len() >= joining.capacity as usize {
            return Err(RoomError::Full);
        }
        let mut out = Vec::new();
        let guest = matches!(joining.identity, Identity::Guest(_));
        let known = self.seated_before.contains(&joining.identity);
        if (joining.lobby || (self.guests_wait && guest)) && !joining.role.runs_room() && !known {
            let peer = joining.peer.clone();
            self.waiting.push(Waiting {
                peer: peer.clone(),
                joining,
            });
            out.push(Effect::Send {
                to: peer,
                msg: ServerMsg::Waiting,
            });
            self.lobby_changed(None, &mut out);
            return Ok((Entry::Waiting, out));
        }
        let welcome = self.seat(joining, now, &mut out);
        Ok((Entry::Seated(welcome), out))
    }

    /// Seats someone the room let in: `welcome` to them, `peer_joined` to the others.
    fn seat(&mut self, joining: Joining, now: Instant, out: &mut Vec<Effect>) -> Welcome {
        let peer = joining.peer;
        let info = PeerInfo {
            id: peer.clone(),
            display_name: joining.display_name,
            role: joining.role,
            media: MediaState::default(),
            reconnecting: false,
            hand: None,
            avatar: joining.avatar,
        };
        self.broadcast(&peer, &ServerMsg::PeerJoined { peer: info.clone() }, out);
        let runs_room = info.role.runs_room();
        out.push(Effect::Arrived {
            peer: peer.clone(),
            name: info.display_name.clone(),
            user: match &joining.identity {
                Identity::User(id) => Some(id.clone()),
                Identity::Guest(_) => None,
            },
        });
        self.seated_before.insert(joining.identity.clone());
        self.members.insert(
            peer.clone(),
            Member {
                info,
                dropped_at: None,
                held: Vec::new(),
                resume_token: joining.resume_token,
                session: 1,
                identity: joining.identity,
                leaving: false,
            },
        );
        // The newcomer learns the topology in `welcome`, so it is sent after deciding.
        let mut decided = Vec::new();
        self.decide_topology(now, &peer, &mut decided);
        let (welcome, msg) = self.welcome_of(&peer);
        out.push(Effect::Send {
            to: peer.clone(),
            msg,
        });
        out.extend(decided);
        if runs_room && !self.waiting.is_empty() {
            self.lobby_changed(Some(&peer), out);
        }
        welcome
    }

    /// Delivers `msg` from `from` to `to` if, and only if, both are in this room.
    pub fn relay(
        &mut self,
        from: &PeerId,
        to: &PeerId,
        msg: ServerMsg,
    ) -> Result<Vec<Effect>, RoomError> {
        if from == to || !self.members.contains_key(from) || !self.members.contains_key(to) {
            return Err(RoomError::UnknownPeer);
        }
        let mut out = Vec::new();
        self.send_or_hold(to, msg, &mut out);
        Ok(out)
    }

    /// A message from the server itself (the SFU) to one participant.
    pub fn deliver(&mut self, to: &PeerId, msg: ServerMsg) -> Vec<Effect> {
        let mut out = Vec::new();
        self.send_or_hold(to, msg, &mut out);
        out
    }

    pub fn set_media(&mut self, peer: &PeerId, media: MediaState) -> Vec<Effect> {
        let mut out = Vec::new();
        self.change_media(peer, |m| *m = media, &mut out);
        out
    }

    /// Changes `peer`'s media (announced by them, or a host's mute) and tells the others and
    /// the SFU, which forwards by it. `false`: no such member.
    fn change_media(
        &mut self,
        peer: &PeerId,
        change: impl FnOnce(&mut MediaState),
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(member) = self.members.get_mut(peer) else {
            return false;
        };
        change(&mut member.info.media);
        let msg = ServerMsg::PeerUpdated {
            peer: member.info.clone(),
        };
        out.push(Effect::Media {
            peer: peer.clone(),
            media: member.info.media.clone(),
        });
        self.broadcast(peer, &msg, out);
        true
    }

    /// The participant left (on purpose, or its resume window ran out): gone at once.
    pub fn leave(&mut self, peer: &PeerId, now: Instant) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.is_waiting(peer) {
            self.unwait(peer, &mut out);
            return out;
        }
        let Some(member) = self.members.remove(peer) else {
            return out;
        };
        self.left(peer, member, now, &mut out);
        out
    }

    /// The meeting is over: everyone connected is told why, and everyone leaves.
    pub fn end(&mut self, reason: EndReason) -> Vec<Effect> {
        let mut out = Vec::new();
        let msg = ServerMsg::MeetingEnded { reason };
        for waiting in std::mem::take(&mut self.waiting) {
            out.push(Effect::Send {
                to: waiting.peer.clone(),
                msg: msg.clone(),
            });
            out.push(Effect::Left {
                peer: waiting.peer,
                resume_token: waiting.joining.resume_token,
            });
        }
        for (id, member) in std::mem::take(&mut self.members) {
            if member.dropped_at.is_none() {
                out.push(Effect::Send {
                    to: id.clone(),
                    msg: msg.clone(),
                });
            }
            out.push(Effect::Left {
                peer: id,
                resume_token: member.resume_token,
            });
        }
        self.topology = Topology::P2p;
        self.small_since = None;
        out
    }

    /// `leave` from connection `session` only: a socket replaced by a resume cannot remove the
    /// participant who resumed.
    pub fn leave_session(&mut self, peer: &PeerId, session: u64, now: Instant) -> Vec<Effect> {
        if self.session_of(peer) != Some(session) && !(session == 1 && self.is_waiting(peer)) {
            return Vec::new();
        }
        self.leave(peer, now)
    }

    fn left(&mut self, peer: &PeerId, member: Member, now: Instant, out: &mut Vec<Effect>) {
        self.broadcast(peer, &ServerMsg::PeerLeft { peer: peer.clone() }, out);
        out.push(Effect::Left {
            peer: peer.clone(),
            resume_token: member.resume_token,
        });
        self.decide_topology(now, peer, out);
    }

    /// The socket of `peer`'s connection `session` dropped: the others see "reconnecting";
    /// `unsent` (what was still queued for that socket) waits for the resume. A stale
    /// session (the peer already resumed on a new socket) changes nothing.
    pub fn disconnect(
        &mut self,
        peer: &PeerId,
        session: u64,
        unsent: Vec<ServerMsg>,
        now: Instant,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        if session == 1 && self.is_waiting(peer) {
            // Nobody keeps a lobby place for a dropped socket: joining again is cheap.
            self.unwait(peer, &mut out);
            return out;
        }
        let Some(member) = self.members.get_mut(peer) else {
            return out;
        };
        if member.session != session || member.dropped_at.is_some() {
            return out;
        }
        member.dropped_at = Some(now);
        for msg in unsent {
            hold(&mut member.held, msg);
        }
        member.info.reconnecting = true;
        let msg = ServerMsg::PeerUpdated {
            peer: member.info.clone(),
        };
        self.broadcast(peer, &msg, &mut out);
        out
    }

    /// Puts a participant back in its seat on a new socket (after a drop, or replacing a
    /// socket still open): a new session, a new resume token (`new_token`; the old one is
    /// spent), and what waited for it (from senders still here) right after `welcome`.
    pub fn resume(
        &mut self,
        peer: &PeerId,
        new_token: String,
    ) -> Result<(Welcome, Vec<Effect>), RoomError> {
        let present: Vec<PeerId> = self.members.keys().cloned().collect();
        let member = self.members.get_mut(peer).ok_or(RoomError::UnknownResume)?;
        member.resume_token = new_token;
        member.session += 1;
        member.dropped_at = None;
        member.leaving = false;
        member.info.reconnecting = false;
        let held = std::mem::take(&mut member.held);
        let update = ServerMsg::PeerUpdated {
            peer: member.info.clone(),
        };
        let runs_room = member.info.role.runs_room();
        let (welcome, msg) = self.welcome_of(peer);
        let mut out = vec![Effect::Send {
            to: peer.clone(),
            msg,
        }];
        out.extend(
            held.into_iter()
                .filter(|msg| relay_sender(msg).is_none_or(|from| present.contains(from)))
                .map(|msg| Effect::Send {
                    to: peer.clone(),
                    msg,
                }),
        );
        self.broadcast(peer, &update, &mut out);
        if runs_room {
            self.lobby_changed(Some(peer), &mut out);
        }
        Ok((welcome, out))
    }

    /// What time alone decides: participants whose resume window ran out leave, and a room
    /// that stayed small for `SWITCH_BACK_DELAY` goes back to peer-to-peer.
    pub fn expire(&mut self, now: Instant) -> Vec<Effect> {
        let expired: Vec<PeerId> = self
            .members
            .iter()
            .filter(|(_, m)| {
                let window = if m.leaving {
                    RELOAD_GRACE.min(self.resume_window)
                } else {
                    self.resume_window
                };
                m.dropped_at
                    .is_some_and(|t| now.duration_since(t) >= window)
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Vec::new();
        for peer in expired {
            out.extend(self.leave(&peer, now));
        }
        if self.topology == Topology::Sfu
            && self
                .small_since
                .is_some_and(|t| now.duration_since(t) >= SWITCH_BACK_DELAY)
        {
            self.topology = Topology::P2p;
            self.small_since = None;
            out.push(Effect::Switched(Topology::P2p));
            let msg = ServerMsg::Topology {
                topology: Topology::P2p,
            };
            let ids: Vec<PeerId> = self.members.keys().cloned().collect();
            for id in ids {
                self.send_or_hold(&id, msg.clone(), &mut out);
            }
        }
        out
    }

    /// One past `p2p_max` goes to the SFU at once; back to peer-to-peer only after the room
    /// stayed small for a while (see `expire`).
    fn decide_topology(&mut self, now: Instant, newcomer: &PeerId, out: &mut Vec<Effect>) {
        let small = self.members.len() <= self.p2p_max;
        match (self.topology, small) {
            (Topology::P2p, false) => {
                self.topology = Topology::Sfu;
                self.small_since = None;
                out.push(Effect::Switched(Topology::Sfu));
                // The newcomer learns it in `welcome`; the others are told now.
                let msg = ServerMsg::Topology {
                    topology: Topology::Sfu,
                };
                self.broadcast(newcomer, &msg, out);
            }
            (Topology::Sfu, true) if self.small_since.is_none() => self.small_since = Some(now),
            (Topology::Sfu, false) => self.small_since = None,
            _ => {}
        }
    }
}

/// Who an effect puts a message in front of (tests).
#[cfg(test)]
pub(crate) fn recipients(effect: &Effect) -> Vec<&PeerId> {
    match effect {
        Effect::Send { to, .. } => vec![to],
        Effect::Broadcast { to, .. } => to.iter().collect(),
        _ => Vec::new(),
    }
}

/// The messages `to` gets in `effects`, in order (tests).
#[cfg(test)]
pub(crate) fn sent_to<'a>(effects: &'a [Effect], to: &PeerId) -> Vec<&'a ServerMsg> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to: t, msg } if t == to => Some(msg),
            Effect::Broadcast { to: ts, msg } if ts.contains(to) => Some(msg),
            _ => None,
        })
        .collect()
}

/// The sender of an offer, answer or candidate; `None` for other messages.
fn relay_sender(msg: &ServerMsg) -> Option<&PeerId> {
    match msg {
        ServerMsg::Offer { from, .. }
        | ServerMsg::Answer { from, .. }
        | ServerMsg::Ice { from, .. } => Some(from),
        _ => None,
    }
}

/// Keeps a message for a participant who is reconnecting. Room broadcasts are not kept:
/// `welcome` on resume carries the current participant list and topology. Of the SFU's offers
/// and closings only the latest matters; an offer unanswered is re-sent by `sfu_connect`
/// anyway, and a closing makes every offer before it moot.
fn hold(held: &mut Vec<ServerMsg>, msg: ServerMsg) {
    match &msg {
        ServerMsg::SfuOffer { .. } | ServerMsg::SfuClosed { .. } => {
            held.retain(|m| !matches!(m, ServerMsg::SfuOffer { .. } | ServerMsg::SfuClosed { .. }));
        }
        _ if relay_sender(&msg).is_none() => return,
        _ => {}
    }
    if held.len() < MAX_HELD_RELAYS {
        held.push(msg);
    } else {
        metrics::counter!("signal_relays_dropped_total").increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joining(name: &str, capacity: u32) -> Joining {
        Joining {
            peer: PeerId(name.to_lowercase()),
            display_name: name.into(),
            avatar: None,
            role: Role::Guest,
            identity: Identity::Guest(format!("key-{name}")),
            resume_token: format!("token-{name}"),
            capacity,
            lobby: false,
        }
    }

    /// The welcome of someone who was seated.
    fn seated(joined: Result<(Entry, Vec<Effect>), RoomError>) -> (Welcome, Vec<Effect>) {
        match joined.unwrap() {
            (Entry::Seated(welcome), effects) => (welcome, effects),
            (Entry::Waiting, _) => panic!("waiting, not seated"),
        }
    }

    fn id(name: &str) -> PeerId {
        PeerId(name.to_lowercase())
    }

    fn offer(from: &str) -> ServerMsg {
        ServerMsg::Offer {
            from: id(from),
            sdp: "v=0".into(),
        }
    }

    /// The messages `to` gets in `effects`.
    fn sent_to<'a>(effects: &'a [Effect], to: &str) -> Vec<&'a ServerMsg> {
        super::sent_to(effects, &id(to))
    }

    fn room_of(names: &[&str], p2p_max: usize, t0: Instant) -> Room {
        let mut room = Room::new(p2p_max, Duration::from_secs(30));
        for name in names {
            room.join(joining(name, 50), t0).unwrap();
        }
        room
    }

    #[test]
    fn a_page_going_away_keeps_its_seat_only_briefly_and_a_resume_restores_the_window() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("A", 6), t0).unwrap();
        room.join(joining("B", 6), t0).unwrap();
        room.leaving(&id("B"));
        room.disconnect(&id("B"), 1, Vec::new(), t0);
        assert_eq!(room.len(), 2, "kept for a reload");
        room.expire(t0 + RELOAD_GRACE - Duration::from_millis(1));
        assert_eq!(room.len(), 2);
        room.expire(t0 + RELOAD_GRACE);
        assert_eq!(
            room.len(),
            1,
            "a closed tab is gone after the grace, not 30 s"
        );
        // A reload in time: the seat is back, with the whole window again.
        room.join(joining("C", 6), t0).unwrap();
        room.leaving(&id("C"));
        room.disconnect(&id("C"), 1, Vec::new(), t0);
        room.resume(&id("C"), "fresh".into()).unwrap();
        room.disconnect(&id("C"), 2, Vec::new(), t0);
        room.expire(t0 + RELOAD_GRACE + Duration::from_secs(1));
        assert_eq!(room.len(), 2, "after a resume the full window holds again");
    }

    #[test]
    fn a_restart_from_a_fresh_page_reaches_the_others_only() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("A", 6), t0).unwrap();
        room.join(joining("B", 6), t0).unwrap();
        let effects = room.restarted(&id("B"));
        assert_eq!(
            sent_to(&effects, "A"),
            vec![&ServerMsg::PeerRestarted { peer: id("B") }]
        );
        assert!(sent_to(&effects, "B").is_empty());
        assert!(room.restarted(&id("Z")).is_empty(), "not seated: nothing");
    }

    #[test]
    fn joining_announces_and_relays_stay_between_members() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("A", 6), t0).unwrap();
        let (welcome, effects) = seated(room.join(joining("B", 6), t0));
        assert_eq!(welcome.others.len(), 1);
        assert!(matches!(
            sent_to(&effects, "A")[..],
            [ServerMsg::PeerJoined { .. }]
        ));
        assert!(
            matches!(sent_to(&effects, "B")[..], [ServerMsg::Welcome { peers, .. }] if peers.len() == 1),
            "B learns the list in welcome"
        );

        let effects = room.relay(&id("B"), &id("A"), offer("B")).unwrap();
        assert_eq!(sent_to(&effects, "A"), vec![&offer("B")]);
        assert_eq!(
            room.relay(&id("C"), &id("A"), offer("C")),
            Err(RoomError::UnknownPeer),
            "C is not in this room"
        );
        assert_eq!(
            room.relay(&id("A"), &id("A"), offer("A")),
            Err(RoomError::UnknownPeer)
        );
    }

    #[test]
    fn capacity_is_enforced() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("A", 1), t0).unwrap();
        assert_eq!(room.join(joining("B", 1), t0).err(), Some(RoomError::Full));
    }

    #[test]
    fn a_dropped_peer_leaves_after_the_window_unless_it_resumed() {
        let t0 = Instant::now();
        let window = Duration::from_secs(30);
        let mut room = room_of(&["A", "B"], 6, t0);

        let effects = room.disconnect(&id("A"), 1, Vec::new(), t0);
        assert!(
            matches!(sent_to(&effects, "B")[..], [ServerMsg::PeerUpdated { peer }] if peer.reconnecting)
        );
        let (welcome, effects) = room.resume(&id("A"), "token-A2".into()).unwrap();
        assert_eq!(welcome.session, 2);
        assert!(
            matches!(sent_to(&effects, "B")[..], [ServerMsg::PeerUpdated { peer }] if !peer.reconnecting)
        );
        // The old socket's late close, or its late goodbye, changes nothing.
        assert!(room.disconnect(&id("A"), 1, Vec::new(), t0).is_empty());
        assert!(room.leave_session(&id("A"), 1, t0).is_empty());
        assert_eq!(room.len(), 2);
        assert!(
            room.expire(t0 + window * 2).is_empty(),
            "the resumed peer kept its seat"
        );
        assert_eq!(room.len(), 2);

        let t1 = t0 + window * 2;
        room.disconnect(&id("A"), 2, Vec::new(), t1);
        assert!(
            room.expire(t1 + window - Duration::from_millis(1))
                .is_empty()
        );
        let effects = room.expire(t1 + window);
        assert!(
            matches!(sent_to(&effects, "B")[..], [ServerMsg::PeerLeft { peer }] if *peer == id("A"))
        );
        assert!(
            effects.contains(&Effect::Left {
                peer: id("A"),
                resume_token: "token-A2".into()
            }),
            "the token of the last resume is the one to forget"
        );
        assert_eq!(room.len(), 1);
        assert_eq!(
            room.resume(&id("A"), "token-A2".into()).err(),
            Some(RoomError::UnknownResume)
        );
    }

    #[test]
    fn relays_to_a_reconnecting_peer_wait_for_its_resume() {
        let t0 = Instant::now();
        let mut room = room_of(&["A", "B", "C"], 6, t0);
        // One offer was still queued for the dying socket, one arrives while A is away, and
        // C sends one and leaves before A is back.
        room.disconnect(&id("A"), 1, vec![offer("B")], t0);
        assert!(sent_to(&room.relay(&id("B"), &id("A"), offer("B")).unwrap(), "A").is_empty());
        room.relay(&id("C"), &id("A"), offer("C")).unwrap();
        room.leave(&id("C"), t0);
        let (_, effects) = room.resume(&id("A"), "token-A2".into()).unwrap();
        let sent = sent_to(&effects, "A");
        assert!(
            matches!(sent[0], ServerMsg::Welcome { resume_token, .. } if resume_token == "token-A2"),
            "welcome first, with the new token"
        );
        assert_eq!(
            sent[1..],
            [&offer("B"), &offer("B")],
            "C's offer went with C"
        );
    }

    #[test]
    fn a_reconnecting_peer_holds_a_bounded_number_of_relays() {
        let t0 = Instant::now();
        let mut room = room_of(&["A", "B"], 6, t0);
        room.disconnect(&id("A"), 1, Vec::new(), t0);
        for _ in 0..MAX_HELD_RELAYS + 10 {
            room.relay(&id("B"), &id("A"), offer("B")).unwrap();
        }
        let (_, effects) = room.resume(&id("A"), "token-A2".into()).unwrap();
        assert_eq!(
            sent_to(&effects, "A").len(),
            1 + MAX_HELD_RELAYS,
            "welcome and the relays"
        );
    }

    #[test]
    fn a_reconnecting_peer_gets_only_the_latest_sfu_offer_or_closing() {
        let t0 = Instant::now();
        let mut room = room_of(&["A", "B"], 6, t0);
        room.disconnect(&id("A"), 1, Vec::new(), t0);
        let sfu_offer = |sdp: &str| ServerMsg::SfuOffer {
            sdp: sdp.into(),
            publish: Vec::new(),
            tracks: Vec::new(),
        };
        let closed = ServerMsg::SfuClosed {
            message: "gone".into(),
        };
        room.deliver(&id("A"), sfu_offer("first"));
        room.deliver(&id("A"), sfu_offer("second"));
        room.deliver(&id("A"), closed.clone());
        let (_, effects) = room.resume(&id("A"), "token-A2".into()).unwrap();
        let sent = sent_to(&effects, "A");
        assert_eq!(sent.len(), 2, "welcome and one SFU message");
        assert_eq!(
            sent[1], &closed,
            "the closing makes the offers before it moot"
        );
    }

    #[test]
    fn a_third_participant_moves_the_room_to_the_sfu_and_back_after_a_pause() {
        let t0 = Instant::now();
        let mut room = room_of(&["A", "B"], 2, t0);
        assert_eq!(room.topology(), Topology::P2p);
        let (welcome, effects) = seated(room.join(joining("C", 50), t0));
        assert_eq!(
            welcome.topology,
            Topology::Sfu,
            "the newcomer learns it in welcome"
        );
        let to_sfu = ServerMsg::Topology {
            topology: Topology::Sfu,
        };
        assert!(sent_to(&effects, "A").contains(&&to_sfu));
        assert!(!sent_to(&effects, "C").contains(&&to_sfu));
        assert!(effects.contains(&Effect::Switched(Topology::Sfu)));

        room.leave(&id("C"), t0);
        assert!(
            room.expire(t0 + SWITCH_BACK_DELAY / 2).is_empty(),
            "no switch back at once"
        );
        // Someone joins during the pause: the room stays on the SFU.
        room.join(joining("D", 50), t0 + SWITCH_BACK_DELAY / 2)
            .unwrap();
        assert!(room.expire(t0 + SWITCH_BACK_DELAY * 2).is_empty());
        let t1 = t0 + SWITCH_BACK_DELAY * 2;
        room.leave(&id("D"), t1);
        let effects = room.expire(t1 + SWITCH_BACK_DELAY);
        assert!(effects.contains(&Effect::Switched(Topology::P2p)));
        assert_eq!(
            sent_to(&effects, "A"),
            vec![&ServerMsg::Topology {
                topology: Topology::P2p
            }]
        );
        assert_eq!(room.topology(), Topology::P2p);
    }

    /// A million random operations on a virtual clock: no panic, the room never exceeds its
    /// capacity, nothing is ever sent to a participant who is away or gone, and requests
    /// naming strangers are refused.
    #[test]
    fn a_million_random_operations_keep_the_room_consistent() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(0x600d);
        let names: Vec<String> = (0..12).map(|n| format!("P{n}")).collect();
        let mut room = Room::new(2, Duration::from_secs(30));
        let mut now = Instant::now();
        let mut sessions: BTreeMap<PeerId, u64> = BTreeMap::new();
        let mut away: std::collections::BTreeSet<PeerId> = Default::default();
        for _ in 0..1_000_000 {
            now += Duration::from_millis(rng.random_range(0..400));
            let a = id(&names[rng.random_range(0..names.len())]);
            let b = id(&names[rng.random_range(0..names.len())]);
            let member = |p: &PeerId| room.session_of(p).is_some();
            let (a_in, b_in) = (member(&a), member(&b));
            let effects = match rng.random_range(0..9) {
                // Peer ids are random and never reused: only absent ones join.
                0 if !a_in => {
                    let mut j = joining(&a.0, 8);
                    j.peer = a.clone();
                    match room.join(j, now) {
                        Ok((_, e)) => {
                            sessions.insert(a.clone(), 1);
                            e
                        }
                        Err(RoomError::Full) => {
                            assert!(room.len() >= 8);
                            Vec::new()
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                0 => Vec::new(),
                1 => room.leave_session(&a, sessions.get(&a).copied().unwrap_or(0), now),
                2 => match room.relay(&a, &b, offer(&a.0)) {
                    Ok(e) => {
                        assert!(a_in && b_in && a != b);
                        e
                    }
                    Err(_) => {
                        assert!(
                            !a_in || !b_in || a == b,
                            "a relay between members was refused"
                        );
                        Vec::new()
                    }
                },
                3 => {
                    let session = sessions.get(&a).copied().unwrap_or(0);
                    let e = room.disconnect(&a, session, vec![offer(&b.0)], now);
                    if a_in {
                        away.insert(a.clone());
                    }
                    e
                }
                4 => match room.resume(&a, format!("token-{}", rng.random::<u32>())) {
                    Ok((welcome, e)) => {
                        sessions.insert(a.clone(), welcome.session);
                        away.remove(&a);
                        e
                    }
                    Err(_) => {
                        assert!(!a_in);
                        Vec::new()
                    }
                },
                5 => room.set_media(&a, MediaState::default()),
                6 => room.deliver(&a, ServerMsg::Pong { nonce: 1 }),
                _ => room.expire(now),
            };
            // Who is in the room and reachable after this step.
            let present: Vec<PeerId> = names
                .iter()
                .map(|n| id(n))
                .filter(|p| room.session_of(p).is_some())
                .collect();
            away.retain(|p| present.contains(p));
            sessions.retain(|p, _| present.contains(p));
            for to in effects.iter().flat_map(recipients) {
                assert!(present.contains(to), "sent to someone gone: {to:?}");
                assert!(!away.contains(to), "sent to someone away: {to:?}");
            }
            assert!(room.len() <= 8);
        }
    }

    #[test]
    fn ending_tells_everyone_connected_and_empties_the_room() {
        let t0 = Instant::now();
        let mut room = room_of(&["A", "B", "C"], 6, t0);
        room.disconnect(&id("C"), 1, Vec::new(), t0);
        let effects = room.end(EndReason::Host);
        let ended = ServerMsg::MeetingEnded {
            reason: EndReason::Host,
        };
        assert_eq!(sent_to(&effects, "A"), vec![&ended]);
        assert_eq!(sent_to(&effects, "B"), vec![&ended]);
        assert!(sent_to(&effects, "C").is_empty(), "C is away");
        let left = effects
            .iter()
            .filter(|e| matches!(e, Effect::Left { .. }))
            .count();
        assert_eq!(left, 3);
        assert!(room.is_empty());
    }
}
