//! Live meetings: who is in which room, single-use join tickets, relay between members of the
//! same room only, and the resume window for participants whose connection dropped.
//!
//! Each meeting's topology is decided here: up to `p2p_max` participants talk peer-to-peer;
//! one more and everyone moves to the SFU; back to peer-to-peer a little after the room
//! shrinks. This module never touches media: it tells the SFU (`crate::sfu::Sfu`, commands
//! only) who left.
//!
//! One mutex over the registry: every operation is a few map lookups and channel sends, no IO.

pub mod tickets;

use crate::sfu::{Command, Sfu};
use protocol::signal::{MAX_HELD_RELAYS, MediaState, PeerId, PeerInfo, Role, ServerMsg, Topology};
use protocol::{MeetingCode, UserId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
pub use tickets::{Ticket, Tickets};
use tokio::sync::mpsc;

/// Messages to one socket. Bounded: a client that stops reading is dropped, not buffered.
pub type Outbox = mpsc::Sender<ServerMsg>;
pub const OUTBOX_CAPACITY: usize = 256;
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
}

struct Member {
    info: PeerInfo,
    outbox: Option<Outbox>,
    /// Offers, answers and candidates addressed to this participant while its socket is down,
    /// delivered on resume (see `MAX_HELD_RELAYS`).
    held: Vec<ServerMsg>,
    resume_token: String,
    /// Bumped on every (re)connection so a stale disconnect cannot remove a resumed peer.
    session: u64,
    #[allow(dead_code)]
    user: Option<UserId>,
}

#[derive(Default)]
struct Room {
    members: BTreeMap<PeerId, Member>,
    topology: Topology,
    /// Bumped on every topology decision, so a delayed switch back sees newer ones.
    topology_rev: u64,
}

impl Room {
    fn broadcast(&self, except: &PeerId, msg: &ServerMsg) {
        for (id, member) in &self.members {
            if id != except
                && let Some(outbox) = &member.outbox
            {
                // A full outbox means a dead reader; its own socket task will notice.
                let _ = outbox.try_send(msg.clone());
            }
        }
    }

    fn infos(&self, except: &PeerId) -> Vec<PeerInfo> {
        self.members
            .iter()
            .filter(|(id, _)| *id != except)
            .map(|(_, m)| m.info.clone())
            .collect()
    }
}

/// Where a joined socket belongs.
#[derive(Debug, Clone)]
pub struct Seat {
    pub code: MeetingCode,
    pub peer: PeerId,
    pub session: u64,
    pub resume_token: String,
    pub others: Vec<PeerInfo>,
    pub topology: Topology,
}

#[derive(Clone)]
pub struct Rooms {
    rooms: Arc<Mutex<HashMap<MeetingCode, Room>>>,
    resume_by_token: Arc<Mutex<HashMap<String, (MeetingCode, PeerId)>>>,
    pub tickets: Tickets,
    resume_window: Duration,
    p2p_max: usize,
    /// Set once at start-up (the SFU's callback needs `Rooms` first).
    sfu: Arc<OnceLock<Sfu>>,
}

impl Rooms {
    pub fn new(resume_window: Duration, p2p_max: usize) -> Self {
        Self {
            rooms: Arc::default(),
            resume_by_token: Arc::default(),
            tickets: Tickets::default(),
            resume_window,
            p2p_max,
            sfu: Arc::default(),
        }
    }

    pub fn set_sfu(&self, sfu: Sfu) {
        let _ = self.sfu.set(sfu);
    }

    pub fn sfu(&self) -> Option<&Sfu> {
        self.sfu.get()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<MeetingCode, Room>> {
        self.rooms
            .lock()
            .expect("rooms lock is never held across a panic")
    }

    /// Participants in a meeting right now (reconnecting ones included: their seat is kept).
    pub fn count(&self, code: &MeetingCode) -> usize {
        self.lock().get(code).map_or(0, |r| r.members.len())
    }

    /// Seats the holder of a ticket; everyone already there hears `peer_joined`.
    pub fn join(&self, ticket: Ticket, outbox: Outbox) -> Result<Seat, RoomError> {
        let mut rooms = self.lock();
        let room = rooms.entry(ticket.code.clone()).or_default();
        if room.members.len() >= ticket.capacity as usize {
            return Err(RoomError::Full);
        }
        let peer = PeerId(crate::db::new_key());
        let resume_token = crate::auth::tokens::new_refresh_token();
        let info = PeerInfo {
            id: peer.clone(),
            display_name: ticket.display_name,
            role: ticket.role,
            media: MediaState::default(),
            reconnecting: false,
        };
        room.broadcast(&peer, &ServerMsg::PeerJoined { peer: info.clone() });
        let others = room.infos(&peer);
        room.members.insert(
            peer.clone(),
            Member {
                info,
                outbox: Some(outbox),
                held: Vec::new(),
                resume_token: resume_token.clone(),
                session: 1,
                user: ticket.user,
            },
        );
        if room.members.len() > self.p2p_max && room.topology == Topology::P2p {
            room.topology = Topology::Sfu;
            room.topology_rev += 1;
            room.broadcast(
                &peer,
                &ServerMsg::Topology {
                    topology: Topology::Sfu,
                },
            );
            metrics::counter!("topology_switches_total", "to" => "sfu").increment(1);
        }
        let topology = room.topology;
        drop(rooms);
        self.resume_by_token
            .lock()
            .expect("resume lock is never held across a panic")
            .insert(resume_token.clone(), (ticket.code.clone(), peer.clone()));
        metrics::gauge!("meeting_participants").increment(1.0);
        Ok(Seat {
            code: ticket.code,
            peer,
            session: 1,
            resume_token,
            others,
            topology,
        })
    }

    /// Delivers a message from the server itself (the SFU) to one participant; held for
    /// its resume while it is reconnecting.
    pub fn deliver(&self, code: &MeetingCode, peer: &PeerId, msg: ServerMsg) {
        let mut rooms = self.lock();
        let Some(member) = rooms.get_mut(code).and_then(|r| r.members.get_mut(peer)) else {
            return;
        };
        match &member.outbox {
            Some(outbox) => {
                let _ = outbox.try_send(msg);
            }
            None => hold(&mut member.held, msg),
        }
    }

    /// What `peer` sends right now.
    pub fn media_of(&self, code: &MeetingCode, peer: &PeerId) -> Option<MediaState> {
        self.lock()
            .get(code)
            .and_then(|r| r.members.get(peer))
            .map(|m| m.info.media.clone())
    }

    /// After someone left: back to peer-to-peer once the room has stayed small for a moment.
    fn maybe_switch_back(&self, code: &MeetingCode) {
        let rev = {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(code) else {
                return;
            };
            if room.topology != Topology::Sfu || room.members.len() > self.p2p_max {
                return;
            }
            room.topology_rev += 1;
            room.topology_rev
        };
        let rooms = self.clone();
        let code = code.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SWITCH_BACK_DELAY).await;
            let mut guard = rooms.lock();
            let Some(room) = guard.get_mut(&code) else {
                return;
            };
            if room.topology_rev == rev && room.members.len() <= rooms.p2p_max {
                room.topology = Topology::P2p;
                room.topology_rev += 1;
                let msg = ServerMsg::Topology {
                    topology: Topology::P2p,
                };
                for member in room.members.values_mut() {
                    match &member.outbox {
                        Some(outbox) => {
                            let _ = outbox.try_send(msg.clone());
                        }
                        None => hold(&mut member.held, msg.clone()),
                    }
                }
                metrics::counter!("topology_switches_total", "to" => "p2p").increment(1);
            }
        });
    }

    /// Delivers `msg` to `to` if, and only if, it is in the same meeting as the sender. While
    /// `to` is reconnecting, the message waits for its resume.
    pub fn relay(
        &self,
        code: &MeetingCode,
        from: &PeerId,
        to: &PeerId,
        msg: ServerMsg,
    ) -> Result<(), RoomError> {
        let mut rooms = self.lock();
        let room = rooms.get_mut(code).ok_or(RoomError::UnknownPeer)?;
        if from == to || !room.members.contains_key(from) {
            return Err(RoomError::UnknownPeer);
        }
        let target = room.members.get_mut(to).ok_or(RoomError::UnknownPeer)?;
        match &target.outbox {
            Some(outbox) => {
                // A full outbox means a dead reader; its own socket task will notice.
                let _ = outbox.try_send(msg);
            }
            None => hold(&mut target.held, msg),
        }
        Ok(())
    }

    pub fn set_media(&self, code: &MeetingCode, peer: &PeerId, media: MediaState) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(code)
            && let Some(member) = room.members.get_mut(peer)
        {
            member.info.media = media;
            let msg = ServerMsg::PeerUpdated {
                peer: member.info.clone(),
            };
            room.broadcast(peer, &msg);
        }
    }

    /// The participant left on purpose: gone at once.
    pub fn leave(&self, code: &MeetingCode, peer: &PeerId) {
        let mut rooms = self.lock();
        let Some(room) = rooms.get_mut(code) else {
            return;
        };
        let Some(member) = room.members.remove(peer) else {
            return;
        };
        room.broadcast(peer, &ServerMsg::PeerLeft { peer: peer.clone() });
        if room.members.is_empty() {
            rooms.remove(code);
        }
        drop(rooms);
        if let Some(sfu) = self.sfu() {
            sfu.send(Command::Leave {
                code: code.clone(),
                peer: peer.clone(),
            });
        }
        self.maybe_switch_back(code);
        self.resume_by_token
            .lock()
            .expect("resume lock is never held across a panic")
            .remove(&member.resume_token);
        metrics::gauge!("meeting_participants").decrement(1.0);
    }

    /// The socket dropped: others see "reconnecting"; the seat is freed after the window
    /// unless the participant resumed in the meantime. Relayed messages still queued for the
    /// dead socket (`unsent`, its outbox's receiving end) are kept for the resume.
    pub fn disconnected(&self, seat: &Seat, unsent: &mut mpsc::Receiver<ServerMsg>) {
        {
            let mut rooms = self.lock();
            let Some(room) = rooms.get_mut(&seat.code) else {
                return;
            };
            let Some(member) = room.members.get_mut(&seat.peer) else {
                return;
            };
            if member.session != seat.session {
                return;
            }
            member.outbox = None;
            // Under the lock: nothing new can reach `unsent` once the outbox is gone.
            while let Ok(msg) = unsent.try_recv() {
                hold(&mut member.held, msg);
            }
            member.info.reconnecting = true;
            let msg = ServerMsg::PeerUpdated {
                peer: member.info.clone(),
            };
            room.broadcast(&seat.peer, &msg);
        }
        let rooms = self.clone();
        let seat = seat.clone();
        tokio::spawn(async move {
            tokio::time::sleep(rooms.resume_window).await;
            let expired = {
                let guard = rooms.lock();
                guard
                    .get(&seat.code)
                    .and_then(|r| r.members.get(&seat.peer))
                    .is_some_and(|m| m.session == seat.session && m.outbox.is_none())
            };
            if expired {
                rooms.leave(&seat.code, &seat.peer);
            }
        });
    }

    /// Puts a dropped participant back in their seat with a new socket.
    pub fn resume(&self, token: &str, outbox: Outbox) -> Result<Seat, RoomError> {
        let (code, peer) = self
            .resume_by_token
            .lock()
            .expect("resume lock is never held across a panic")
            .get(token)
            .cloned()
            .ok_or(RoomError::UnknownResume)?;
        let mut rooms = self.lock();
        let room = rooms.get_mut(&code).ok_or(RoomError::UnknownResume)?;
        let member = room
            .members
            .get_mut(&peer)
            .ok_or(RoomError::UnknownResume)?;
        member.session += 1;
        member.info.reconnecting = false;
        let session = member.session;
        // Delivered after `welcome` (the socket task sends that before reading its outbox),
        // from senders still here.
        let held = std::mem::take(&mut member.held);
        for msg in held {
            let from_someone_here = match relay_sender(&msg) {
                Some(from) => room.members.contains_key(from),
                // From the server itself (SFU offers, topology).
                None => true,
            };
            if from_someone_here {
                let _ = outbox.try_send(msg);
            }
        }
        let member = room
            .members
            .get_mut(&peer)
            .ok_or(RoomError::UnknownResume)?;
        member.outbox = Some(outbox);
        let msg = ServerMsg::PeerUpdated {
            peer: member.info.clone(),
        };
        room.broadcast(&peer, &msg);
        let others = room.infos(&peer);
        let topology = room.topology;
        Ok(Seat {
            code,
            peer,
            session,
            resume_token: token.to_owned(),
            others,
            topology,
        })
    }

    pub fn role_of(&self, code: &MeetingCode, peer: &PeerId) -> Option<Role> {
        self.lock()
            .get(code)
            .and_then(|r| r.members.get(peer))
            .map(|m| m.info.role)
    }
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

/// Keeps a relayed message for a participant who is reconnecting. Room broadcasts are not
/// kept: `welcome` on resume carries the current participant list and topology. Of the SFU's
/// offers only the latest matters; an offer unanswered is re-sent by `sfu_connect` anyway.
fn hold(held: &mut Vec<ServerMsg>, msg: ServerMsg) {
    match &msg {
        ServerMsg::SfuOffer { .. } => {
            held.retain(|m| !matches!(m, ServerMsg::SfuOffer { .. }));
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

    fn ticket(code: &str, name: &str, capacity: u32) -> Ticket {
        Ticket {
            code: MeetingCode(code.into()),
            user: None,
            display_name: name.into(),
            role: Role::Guest,
            capacity,
        }
    }

    #[tokio::test]
    async fn relay_stays_inside_a_meeting() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let (tx_c, _rx_c) = mpsc::channel(8);
        let a = rooms.join(ticket("aaa-aaaa-aaa", "A", 6), tx_a).unwrap();
        let b = rooms.join(ticket("aaa-aaaa-aaa", "B", 6), tx_b).unwrap();
        let c = rooms.join(ticket("ccc-cccc-ccc", "C", 6), tx_c).unwrap();
        assert_eq!(b.others.len(), 1);
        assert!(matches!(
            rx_a.recv().await,
            Some(ServerMsg::PeerJoined { .. })
        ));

        let offer = ServerMsg::Offer {
            from: b.peer.clone(),
            sdp: "v=0".into(),
        };
        rooms
            .relay(&b.code, &b.peer, &a.peer, offer.clone())
            .unwrap();
        assert_eq!(rx_a.recv().await, Some(offer));
        // C is in another meeting: A's id means nothing there.
        let stray = ServerMsg::Offer {
            from: c.peer.clone(),
            sdp: "v=0".into(),
        };
        assert_eq!(
            rooms.relay(&c.code, &c.peer, &a.peer, stray),
            Err(RoomError::UnknownPeer)
        );
        assert!(rx_a.try_recv().is_err());
        assert!(rx_b.try_recv().is_err());
    }

    #[tokio::test]
    async fn capacity_is_enforced() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx, _rx) = mpsc::channel(8);
        rooms
            .join(ticket("aaa-aaaa-aaa", "A", 1), tx.clone())
            .unwrap();
        assert_eq!(
            rooms.join(ticket("aaa-aaaa-aaa", "B", 1), tx).err(),
            Some(RoomError::Full)
        );
    }

    #[tokio::test]
    async fn a_dropped_peer_is_removed_after_the_window_unless_resumed() {
        // A real (short) window rather than paused time: tokio's test-util would rebuild
        // every tokio dependent in the test profile.
        let window = Duration::from_millis(300);
        let rooms = Rooms::new(window, 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let a = rooms.join(ticket("aaa-aaaa-aaa", "A", 6), tx_a).unwrap();
        let _b = rooms.join(ticket("aaa-aaaa-aaa", "B", 6), tx_b).unwrap();

        rooms.disconnected(&a, &mut rx_a);
        assert!(
            matches!(rx_b.recv().await, Some(ServerMsg::PeerUpdated { peer }) if peer.reconnecting)
        );
        tokio::time::sleep(window / 3).await;
        let (tx_a2, mut rx_a2) = mpsc::channel(8);
        let resumed = rooms.resume(&a.resume_token, tx_a2).unwrap();
        assert_eq!(resumed.peer, a.peer);
        assert!(
            matches!(rx_b.recv().await, Some(ServerMsg::PeerUpdated { peer }) if !peer.reconnecting)
        );
        tokio::time::sleep(window * 2).await;
        assert_eq!(rooms.count(&a.code), 2, "the resumed peer kept its seat");
        assert!(rx_b.try_recv().is_err(), "no leave was announced");

        rooms.disconnected(&resumed, &mut rx_a2);
        assert!(matches!(
            rx_b.recv().await,
            Some(ServerMsg::PeerUpdated { .. })
        ));
        tokio::time::sleep(window * 2).await;
        assert!(matches!(rx_b.recv().await, Some(ServerMsg::PeerLeft { peer }) if peer == a.peer));
        assert_eq!(rooms.count(&a.code), 1);
        assert!(rooms.resume(&a.resume_token, mpsc::channel(1).0).is_err());
    }

    fn offer(from: &PeerId) -> ServerMsg {
        ServerMsg::Offer {
            from: from.clone(),
            sdp: "v=0".into(),
        }
    }

    #[tokio::test]
    async fn relays_to_a_reconnecting_peer_wait_for_its_resume() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, _rx_b) = mpsc::channel(8);
        let (tx_c, _rx_c) = mpsc::channel(8);
        let a = rooms.join(ticket("aaa-aaaa-aaa", "A", 6), tx_a).unwrap();
        let b = rooms.join(ticket("aaa-aaaa-aaa", "B", 6), tx_b).unwrap();
        let c = rooms.join(ticket("aaa-aaaa-aaa", "C", 6), tx_c).unwrap();
        while rx_a.try_recv().is_ok() {}

        // One offer was still queued for the dying socket, one arrives while A is away, and
        // C sends one and leaves before A is back.
        rooms
            .relay(&a.code, &b.peer, &a.peer, offer(&b.peer))
            .unwrap();
        rooms.disconnected(&a, &mut rx_a);
        rooms
            .relay(&a.code, &b.peer, &a.peer, offer(&b.peer))
            .unwrap();
        rooms
            .relay(&a.code, &c.peer, &a.peer, offer(&c.peer))
            .unwrap();
        rooms.leave(&c.code, &c.peer);
        assert!(rx_a.try_recv().is_err(), "nothing goes to the dead socket");

        let (tx_a2, mut rx_a2) = mpsc::channel(8);
        rooms.resume(&a.resume_token, tx_a2).unwrap();
        for _ in 0..2 {
            assert!(
                matches!(rx_a2.try_recv(), Ok(ServerMsg::Offer { from, .. }) if from == b.peer)
            );
        }
        assert!(rx_a2.try_recv().is_err(), "C's offer went with C");
    }

    #[tokio::test]
    async fn a_reconnecting_peer_holds_a_bounded_number_of_relays() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, _rx_b) = mpsc::channel(8);
        let a = rooms.join(ticket("aaa-aaaa-aaa", "A", 6), tx_a).unwrap();
        let b = rooms.join(ticket("aaa-aaaa-aaa", "B", 6), tx_b).unwrap();
        rooms.disconnected(&a, &mut rx_a);
        for _ in 0..MAX_HELD_RELAYS + 10 {
            rooms
                .relay(&a.code, &b.peer, &a.peer, offer(&b.peer))
                .unwrap();
        }
        let (tx_a2, mut rx_a2) = mpsc::channel(OUTBOX_CAPACITY);
        rooms.resume(&a.resume_token, tx_a2).unwrap();
        let mut delivered = 0;
        while rx_a2.try_recv().is_ok() {
            delivered += 1;
        }
        assert_eq!(delivered, MAX_HELD_RELAYS);
    }

    #[tokio::test]
    async fn a_third_participant_moves_the_room_to_the_sfu_and_back() {
        let rooms = Rooms::new(Duration::from_secs(30), 2);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, _rx_b) = mpsc::channel(8);
        let (tx_c, _rx_c) = mpsc::channel(8);
        let a = rooms.join(ticket("aaa-aaaa-aaa", "A", 50), tx_a).unwrap();
        assert_eq!(a.topology, Topology::P2p);
        let b = rooms.join(ticket("aaa-aaaa-aaa", "B", 50), tx_b).unwrap();
        assert_eq!(b.topology, Topology::P2p);
        let c = rooms.join(ticket("aaa-aaaa-aaa", "C", 50), tx_c).unwrap();
        assert_eq!(
            c.topology,
            Topology::Sfu,
            "the newcomer learns it in welcome"
        );
        let mut seen = Vec::new();
        while let Ok(msg) = rx_a.try_recv() {
            seen.push(msg);
        }
        assert!(seen.contains(&ServerMsg::Topology {
            topology: Topology::Sfu
        }));

        rooms.leave(&c.code, &c.peer);
        assert!(
            !matches!(rx_a.try_recv(), Ok(ServerMsg::Topology { .. })),
            "no switch back at once"
        );
        tokio::time::sleep(SWITCH_BACK_DELAY + Duration::from_millis(300)).await;
        let mut back = false;
        while let Ok(msg) = rx_a.try_recv() {
            back |= msg
                == ServerMsg::Topology {
                    topology: Topology::P2p,
                };
        }
        assert!(back, "two people go back to peer-to-peer");
    }
}
