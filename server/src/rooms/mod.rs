//! Live meetings: the registry of rooms. Each meeting's state is a pure `room::Room` (who is
//! in it, relays, resume, topology); this registry keeps the rooms and the sockets' outboxes
//! under one lock, applies what a room decides (`Effect`s: messages to sockets, departures to
//! the SFU), keeps resume tokens and join tickets, and ticks `Room::expire` on a timer. It
//! never touches media or WebRTC: the SFU hears only "this participant left".
//!
//! One mutex over the registry: every operation is a few map lookups and channel sends, no IO.

pub mod room;
pub mod tickets;

use crate::sfu::{Command, Sfu};
use chrono::{DateTime, Utc};
use protocol::MeetingCode;
use protocol::UserId;
use protocol::room::{ChatMessage, HostAction, Reaction};
use protocol::signal::{MediaState, PeerId, Role, ServerMsg, Topology};
pub use room::{ChatNames, Effect, Entry, Identity, Room, RoomError, SWITCH_BACK_DELAY};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};
pub use tickets::{Ticket, Tickets};
use tokio::sync::mpsc;

/// Messages to one socket. Bounded: a client that stops reading is dropped, not buffered.
pub type Outbox = mpsc::Sender<Outgoing>;

/// What a socket is given to send: a message for it alone, or the text of one sent to many,
/// serialized once (a chat line to a room of 50 is encoded once, not 49 times). Boxed: a
/// channel allocates room for 32 of these up front, and a `ServerMsg` is 160 bytes.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Msg(Box<ServerMsg>),
    Shared(Arc<str>),
}

impl Outgoing {
    /// The message itself (a shared one parsed back; for tests and diagnostics).
    pub fn into_msg(self) -> Option<ServerMsg> {
        match self {
            Outgoing::Msg(msg) => Some(*msg),
            Outgoing::Shared(text) => serde_json::from_str(&text).ok(),
        }
    }
}
pub const OUTBOX_CAPACITY: usize = 256;
/// How often time-driven decisions (resume windows, switching back) are made.
const TICK: Duration = Duration::from_millis(100);

/// Where a joined socket belongs.
#[derive(Debug, Clone)]
pub struct Seat {
    pub code: MeetingCode,
    /// The meeting's record key (chat is stored with it).
    pub meeting: String,
    /// This life of the room: chat history is of the room as it is now.
    pub room: String,
    pub peer: PeerId,
    pub session: u64,
    pub resume_token: String,
    pub topology: Topology,
    /// Joined into the lobby (admission may have come since: ask `Rooms::is_waiting`).
    pub waiting: bool,
}

/// Who came and went, for the attendance record (written by `crate::attendance`).
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Arrived {
        /// The meeting's record key and this life of its room.
        meeting: String,
        room: String,
        peer: PeerId,
        name: String,
        user: Option<UserId>,
        at: DateTime<Utc>,
    },
    Left {
        room: String,
        peer: PeerId,
        at: DateTime<Utc>,
    },
}

/// Presence events waiting for the writer; past this they are dropped (and counted) rather
/// than slowing the rooms down.
pub const PRESENCE_QUEUE: usize = 10_000;

/// Where effects go besides sockets: the SFU and the attendance writer (set once at start-up).
#[derive(Default)]
struct Outside {
    sfu: OnceLock<Sfu>,
    presence: OnceLock<mpsc::Sender<Presence>>,
}

#[derive(Default)]
struct Registry {
    rooms: HashMap<MeetingCode, Room>,
    /// The socket of each connected participant, by meeting (a send looks the meeting up
    /// once, not a cloned key per recipient).
    outboxes: HashMap<MeetingCode, HashMap<PeerId, Outbox>>,
    resume_by_token: HashMap<String, (MeetingCode, PeerId)>,
    /// Meetings their host ended for everyone: nobody but the host gets in until the host
    /// opens the meeting again (else a guest pressing "Rejoin" sat in a meeting with no host).
    ended: HashSet<MeetingCode>,
}

#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Mutex<Registry>>,
    pub tickets: Tickets,
    resume_window: Duration,
    p2p_max: usize,
    /// Set once at start-up (the SFU's callback needs `Rooms` first).
    outside: Arc<Outside>,
}

impl Rooms {
    /// A registry, with its timer running for as long as the registry exists (needs a tokio
    /// runtime).
    pub fn new(resume_window: Duration, p2p_max: usize) -> Self {
        let rooms = Self {
            inner: Arc::default(),
            tickets: Tickets::default(),
            resume_window,
            p2p_max,
            outside: Arc::default(),
        };
        let weak = Arc::downgrade(&rooms.inner);
        tokio::spawn(tick(weak, rooms.outside.clone()));
        rooms
    }

    pub fn set_sfu(&self, sfu: Sfu) {
        let _ = self.outside.sfu.set(sfu);
    }

    /// Where arrivals and departures go (see `Presence`).
    pub fn set_presence(&self, to: mpsc::Sender<Presence>) {
        let _ = self.outside.presence.set(to);
    }

    pub fn sfu(&self) -> Option<&Sfu> {
        self.outside.sfu.get()
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        lock(&self.inner)
    }

    /// Participants in a meeting right now (reconnecting ones included: their seat is kept).
    pub fn count(&self, code: &MeetingCode) -> usize {
        self.lock().rooms.get(code).map_or(0, Room::len)
    }

    /// What anyone with the link may know of the room now: how many are seated, and whether
    /// it is locked.
    pub fn seen_from_outside(&self, code: &MeetingCode) -> (usize, bool) {
        self.lock()
            .rooms
            .get(code)
            .map_or((0, false), |room| (room.len(), room.is_locked()))
    }

    /// For the meeting's host: how many are seated and how many wait in the lobby.
    pub fn occupancy(&self, code: &MeetingCode) -> (usize, usize) {
        self.lock()
            .rooms
            .get(code)
            .map_or((0, 0), |room| (room.len(), room.waiting_len()))
    }

    /// Whether `identity` would get in now (the join step asks before issuing a ticket).
    pub fn admits(
        &self,
        code: &MeetingCode,
        identity: &Identity,
        role: Role,
    ) -> Result<(), RoomError> {
        let registry = self.lock();
        if role != Role::Host && registry.ended.contains(code) {
            return Err(RoomError::Ended);
        }
        registry
            .rooms
            .get(code)
            .map_or(Ok(()), |room| room.admits(identity, role))
    }

    /// Seats the holder of a ticket (everyone already there hears `peer_joined`), or puts
    /// them in the lobby. Their `welcome` or `waiting` is the first message in `outbox`.
    pub fn join(&self, ticket: Ticket, outbox: Outbox) -> Result<Seat, RoomError> {
        let peer = PeerId(crate::ids::random_key());
        let resume_token = crate::ids::random_token();
        let code = ticket.code.clone();
        let mut registry = self.lock();
        // A ticket issued before the host ended the meeting does not reopen it; the host does.
        if ticket.role == Role::Host {
            registry.ended.remove(&code);
        } else if registry.ended.contains(&code) {
            return Err(RoomError::Ended);
        }
        let (p2p_max, window) = (self.p2p_max, self.resume_window);
        let room = registry.rooms.entry(code.clone()).or_insert_with(|| {
            let mut room = Room::new(p2p_max, window);
            room.id = crate::ids::random_key();
            room.meeting = ticket.meeting.clone();
            room
        });
        let joined = room.join(
            room::Joining {
                peer: peer.clone(),
                display_name: ticket.display_name,
                avatar: ticket.avatar,
                role: ticket.role,
                identity: ticket.identity,
                resume_token: resume_token.clone(),
                capacity: ticket.capacity,
                lobby: ticket.lobby,
            },
            Instant::now(),
        );
        let room_id = room.id.clone();
        let (entry, effects) = match joined {
            Ok(joined) => joined,
            Err(e) => {
                if registry.rooms.get(&code).is_some_and(Room::is_empty) {
                    registry.rooms.remove(&code);
                }
                return Err(e);
            }
        };
        registry
            .outboxes
            .entry(code.clone())
            .or_default()
            .insert(peer.clone(), outbox);
        registry
            .resume_by_token
            .insert(resume_token.clone(), (code.clone(), peer.clone()));
        self.apply(&mut registry, &code, effects);
        metrics::gauge!("meeting_participants").increment(1.0);
        // The seat lives as long as the socket: it keeps no copy of the peer list (that
        // went out in `welcome`).
        let (topology, waiting) = match entry {
            Entry::Seated(welcome) => (welcome.topology, false),
            Entry::Waiting => (Topology::P2p, true),
        };
        Ok(Seat {
            code,
            meeting: ticket.meeting,
            room: room_id,
            peer,
            session: 1,
            resume_token,
            topology,
            waiting,
        })
    }

    /// Carries out what a room decided.
    fn apply(&self, registry: &mut Registry, code: &MeetingCode, effects: Vec<Effect>) {
        apply(registry, &self.outside, code, effects);
    }

    /// Runs `f` on the room `code`, if it exists, and carries out what it decided.
    fn with_room<T>(
        &self,
        code: &MeetingCode,
        f: impl FnOnce(&mut Room) -> (T, Vec<Effect>),
    ) -> Option<T> {
        let mut registry = self.lock();
        let room = registry.rooms.get_mut(code)?;
        let (result, effects) = f(room);
        self.apply(&mut registry, code, effects);
        Some(result)
    }

    /// Delivers a message from the server itself (the SFU) to one participant; held for
    /// its resume while it is reconnecting.
    pub fn deliver(&self, code: &MeetingCode, peer: &PeerId, msg: ServerMsg) {
        self.with_room(code, |room| ((), room.deliver(peer, msg)));
    }

    /// What `peer` sends right now.
    pub fn media_of(&self, code: &MeetingCode, peer: &PeerId) -> Option<MediaState> {
        self.lock().rooms.get(code).and_then(|r| r.media_of(peer))
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
        self.with_room(code, |room| match room.relay(from, to, msg) {
            Ok(effects) => (Ok(()), effects),
            Err(e) => (Err(e), Vec::new()),
        })
        .unwrap_or(Err(RoomError::UnknownPeer))
    }

    pub fn set_media(&self, code: &MeetingCode, peer: &PeerId, media: MediaState) {
        self.with_room(code, |room| ((), room.set_media(peer, media)));
    }

    /// The participant left on purpose: gone at once (unless this socket was replaced by a
    /// resume meanwhile).
    pub fn leave(&self, seat: &Seat) {
        self.with_room(&seat.code, |room| {
            (
                (),
                room.leave_session(&seat.peer, seat.session, Instant::now()),
            )
        });
    }

    /// The socket dropped: others see "reconnecting"; the seat is freed after the window
    /// unless the participant resumed in the meantime. Relayed messages still queued for the
    /// dead socket (`unsent`, its outbox's receiving end) are kept for the resume.
    pub fn disconnected(&self, seat: &Seat, unsent: &mut mpsc::Receiver<Outgoing>) {
        let mut registry = self.lock();
        let Some(room) = registry.rooms.get_mut(&seat.code) else {
            return;
        };
        if room.session_of(&seat.peer) != Some(seat.session) && !room.is_waiting(&seat.peer) {
            return;
        }
        // Under the lock: nothing new can reach `unsent` once the outbox is gone.
        // Only messages for this socket alone may be kept (relays); shared ones are room
        // broadcasts, which `welcome` on resume replaces.
        let mut queued = Vec::new();
        while let Ok(out) = unsent.try_recv() {
            if let Outgoing::Msg(msg) = out {
                queued.push(*msg);
            }
        }
        let effects = room.disconnect(&seat.peer, seat.session, queued, Instant::now());
        if let Some(outboxes) = registry.outboxes.get_mut(&seat.code) {
            outboxes.remove(&seat.peer);
        }
        self.apply(&mut registry, &seat.code, effects);
    }

    /// Puts a participant back in their seat with a new socket. The token is spent: the
    /// welcome carries a new one. A socket still open for that seat is closed (its outbox is
    /// replaced, so its task ends; its late close or goodbye is ignored by session).
    pub fn resume(&self, token: &str, outbox: Outbox) -> Result<Seat, RoomError> {
        let mut registry = self.lock();
        let (code, peer) = registry
            .resume_by_token
            .get(token)
            .cloned()
            .ok_or(RoomError::UnknownResume)?;
        let room = registry
            .rooms
            .get_mut(&code)
            .ok_or(RoomError::UnknownResume)?;
        let (room_id, meeting_of) = (room.id.clone(), room.meeting.clone());
        let new_token = crate::ids::random_token();
        let (welcome, effects) = room.resume(&peer, new_token.clone())?;
        registry.resume_by_token.remove(token);
        registry
            .resume_by_token
            .insert(new_token.clone(), (code.clone(), peer.clone()));
        // Delivered after `welcome` (the socket task sends that before reading its outbox).
        if registry
            .outboxes
            .entry(code.clone())
            .or_default()
            .insert(peer.clone(), outbox)
            .is_some()
        {
            metrics::counter!("signal_sockets_replaced_total").increment(1);
        }
        self.apply(&mut registry, &code, effects);
        Ok(Seat {
            code,
            meeting: meeting_of,
            room: room_id,
            peer,
            session: welcome.session,
            resume_token: new_token,
            topology: welcome.topology,
            waiting: false,
        })
    }

    /// Ends the meeting for everyone in it (told why; their sockets then close).
    pub fn end(&self, code: &MeetingCode, reason: protocol::signal::EndReason) {
        if self
            .with_room(code, |room| ((), room.end(reason)))
            .is_some()
        {
            metrics::counter!("meetings_ended_total").increment(1);
        }
        if reason == protocol::signal::EndReason::Host {
            self.lock().ended.insert(code.clone());
        }
    }

    /// `seat`'s page is going away: a reload has `RELOAD_GRACE` to resume the seat.
    pub fn leaving(&self, seat: &Seat) {
        self.with_room(&seat.code, |room| {
            room.leaving(&seat.peer);
            ((), Vec::new())
        });
    }

    /// `seat`'s participant resumed from a fresh page: the others drop their links to them.
    pub fn restarted(&self, seat: &Seat) {
        self.with_room(&seat.code, |room| ((), room.restarted(&seat.peer)));
    }

    /// Whether the host ended this meeting for everyone and has not opened it again.
    pub fn is_ended(&self, code: &MeetingCode) -> bool {
        self.lock().ended.contains(code)
    }

    pub fn role_of(&self, code: &MeetingCode, peer: &PeerId) -> Option<Role> {
        self.lock().rooms.get(code).and_then(|r| r.role_of(peer))
    }

    /// Still in the lobby?
    pub fn is_waiting(&self, code: &MeetingCode, peer: &PeerId) -> bool {
        self.lock()
            .rooms
            .get(code)
            .is_some_and(|r| r.is_waiting(peer))
    }

    /// A host or moderator action by `seat`'s participant.
    pub fn act(&self, seat: &Seat, action: HostAction) -> Result<(), RoomError> {
        self.with_room(&seat.code, |room| {
            match room.act(&seat.peer, action, Instant::now()) {
                Ok(effects) => (Ok(()), effects),
                Err(e) => (Err(e), Vec::new()),
            }
        })
        .unwrap_or(Err(RoomError::UnknownPeer))
    }

    /// Checks a chat message before it is stored (see `Room::chat_names`).
    pub fn chat_names(&self, seat: &Seat, to: Option<&PeerId>) -> Result<ChatNames, RoomError> {
        let registry = self.lock();
        let room = registry
            .rooms
            .get(&seat.code)
            .filter(|r| r.id == seat.room)
            .ok_or(RoomError::UnknownPeer)?;
        room.chat_names(&seat.peer, to)
    }

    /// Who `seat`'s participant is for the chat history (`Identity::chat_key`).
    pub fn chat_key(&self, seat: &Seat) -> Option<String> {
        self.lock()
            .rooms
            .get(&seat.code)
            .filter(|r| r.id == seat.room)
            .and_then(|r| r.chat_key(&seat.peer))
    }

    /// Sends a stored message to whoever may read it.
    pub fn chat(&self, seat: &Seat, message: ChatMessage) {
        self.with_room(&seat.code, |room| ((), room.chat(message)));
    }

    pub fn hand(&self, seat: &Seat, raised: bool) {
        self.with_room(&seat.code, |room| ((), room.hand(&seat.peer, raised)));
    }

    pub fn react(&self, seat: &Seat, reaction: Reaction) {
        self.with_room(&seat.code, |room| ((), room.react(&seat.peer, reaction)));
    }
}

fn lock(inner: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    // Rooms never panic while holding the lock; recover the data if one ever did.
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

/// Carries out a room's effects; an emptied room goes.
fn apply(registry: &mut Registry, outside: &Outside, code: &MeetingCode, effects: Vec<Effect>) {
    let sfu = outside.sfu.get();
    let (meeting, room) = registry
        .rooms
        .get(code)
        .map(|r| (r.meeting.clone(), r.id.clone()))
        .unwrap_or_default();
    let presence = |event: Presence| {
        if let Some(to) = outside.presence.get()
            && to.try_send(event).is_err()
        {
            metrics::counter!("attendance_events_dropped_total").increment(1);
        }
    };
    for effect in effects {
        match effect {
            Effect::Send { to, msg } => put(registry, code, &to, Outgoing::Msg(Box::new(msg))),
            Effect::Broadcast { to, msg } => {
                let Ok(text) = serde_json::to_string(&msg) else {
                    continue;
                };
                let text: Arc<str> = text.into();
                for peer in &to {
                    put(registry, code, peer, Outgoing::Shared(text.clone()));
                }
            }
            Effect::Arrived { peer, name, user } => presence(Presence::Arrived {
                meeting: meeting.clone(),
                room: room.clone(),
                peer,
                name,
                user,
                at: Utc::now(),
            }),
            Effect::Left { peer, resume_token } => {
                presence(Presence::Left {
                    room: room.clone(),
                    peer: peer.clone(),
                    at: Utc::now(),
                });
                registry.resume_by_token.remove(&resume_token);
                if let Some(outboxes) = registry.outboxes.get_mut(code) {
                    outboxes.remove(&peer);
                }
                if let Some(sfu) = sfu {
                    sfu.send(Command::Leave {
                        code: code.clone(),
                        peer,
                    });
                }
                metrics::gauge!("meeting_participants").decrement(1.0);
            }
            Effect::Media { peer, media } => {
                if let Some(sfu) = sfu {
                    sfu.send(Command::media(code.clone(), peer, &media));
                }
            }
            Effect::Switched(to) => {
                let to = match to {
                    Topology::Sfu => "sfu",
                    Topology::P2p => "p2p",
                };
                metrics::counter!("topology_switches_total", "to" => to).increment(1);
            }
        }
    }
    if registry.rooms.get(code).is_some_and(Room::is_empty) {
        registry.rooms.remove(code);
        registry.outboxes.remove(code);
    }
}

/// Puts `out` in `to`'s outbox. A full one means a client that stopped reading: its socket is
/// closed (dropping the only sender ends its task), so it resumes on a fresh one or is removed.
fn put(registry: &mut Registry, code: &MeetingCode, to: &PeerId, out: Outgoing) {
    let Some(outboxes) = registry.outboxes.get_mut(code) else {
        return;
    };
    if outboxes
        .get(to)
        .is_some_and(|outbox| outbox.try_send(out).is_err())
    {
        outboxes.remove(to);
        metrics::counter!("signal_outbox_full_total").increment(1);
    }
}

/// The registry's clock: every `TICK`, each room decides what time alone decides.
async fn tick(registry: Weak<Mutex<Registry>>, outside: Arc<Outside>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(inner) = registry.upgrade() else {
            return;
        };
        let now = Instant::now();
        let mut registry = lock(&inner);
        let codes: Vec<MeetingCode> = registry.rooms.keys().cloned().collect();
        for code in codes {
            let Some(room) = registry.rooms.get_mut(&code) else {
                continue;
            };
            let effects = room.expire(now);
            if !effects.is_empty() {
                apply(&mut registry, &outside, &code, effects);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::signal::MAX_HELD_RELAYS;

    fn ticket(code: &str, name: &str, capacity: u32) -> Ticket {
        Ticket::guest(code, name, capacity)
    }

    /// The next message in an outbox (shared ones parsed back).
    async fn next(rx: &mut mpsc::Receiver<Outgoing>) -> Option<ServerMsg> {
        rx.recv().await.and_then(Outgoing::into_msg)
    }

    fn try_next(rx: &mut mpsc::Receiver<Outgoing>) -> Result<ServerMsg, ()> {
        rx.try_recv().ok().and_then(Outgoing::into_msg).ok_or(())
    }

    /// Joins and takes the `welcome` off the outbox, which then holds what came after it.
    fn seated(
        rooms: &Rooms,
        ticket: Ticket,
        outbox: Outbox,
        inbox: &mut mpsc::Receiver<Outgoing>,
    ) -> Seat {
        let seat = rooms.join(ticket, outbox).unwrap();
        assert!(matches!(try_next(inbox), Ok(ServerMsg::Welcome { .. })));
        seat
    }

    #[tokio::test]
    async fn relay_stays_inside_a_meeting() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let (tx_c, mut rx_c) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        let b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 6), tx_b, &mut rx_b);
        let c = seated(&rooms, ticket("ccc-cccc-ccc", "C", 6), tx_c, &mut rx_c);
        assert!(matches!(
            next(&mut rx_a).await,
            Some(ServerMsg::PeerJoined { .. })
        ));

        let offer = ServerMsg::Offer {
            from: b.peer.clone(),
            sdp: "v=0".into(),
        };
        rooms
            .relay(&b.code, &b.peer, &a.peer, offer.clone())
            .unwrap();
        assert_eq!(next(&mut rx_a).await, Some(offer));
        // C is in another meeting: A's id means nothing there.
        let stray = ServerMsg::Offer {
            from: c.peer.clone(),
            sdp: "v=0".into(),
        };
        assert_eq!(
            rooms.relay(&c.code, &c.peer, &a.peer, stray),
            Err(RoomError::UnknownPeer)
        );
        assert!(try_next(&mut rx_a).is_err());
        assert!(try_next(&mut rx_b).is_err());
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
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        let _b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 6), tx_b, &mut rx_b);

        rooms.disconnected(&a, &mut rx_a);
        assert!(
            matches!(next(&mut rx_b).await, Some(ServerMsg::PeerUpdated { peer }) if peer.reconnecting)
        );
        tokio::time::sleep(window / 3).await;
        let (tx_a2, mut rx_a2) = mpsc::channel(8);
        let resumed = rooms.resume(&a.resume_token, tx_a2).unwrap();
        assert_eq!(resumed.peer, a.peer);
        assert!(
            matches!(next(&mut rx_b).await, Some(ServerMsg::PeerUpdated { peer }) if !peer.reconnecting)
        );
        tokio::time::sleep(window * 2).await;
        assert_eq!(rooms.count(&a.code), 2, "the resumed peer kept its seat");
        assert!(try_next(&mut rx_b).is_err(), "no leave was announced");

        rooms.disconnected(&resumed, &mut rx_a2);
        assert!(matches!(
            next(&mut rx_b).await,
            Some(ServerMsg::PeerUpdated { .. })
        ));
        tokio::time::sleep(window * 2).await;
        assert!(
            matches!(next(&mut rx_b).await, Some(ServerMsg::PeerLeft { peer }) if peer == a.peer)
        );
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
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let (tx_c, mut rx_c) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        let b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 6), tx_b, &mut rx_b);
        let c = seated(&rooms, ticket("aaa-aaaa-aaa", "C", 6), tx_c, &mut rx_c);
        while try_next(&mut rx_a).is_ok() {}

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
        rooms.leave(&c);
        assert!(
            try_next(&mut rx_a).is_err(),
            "nothing goes to the dead socket"
        );

        let (tx_a2, mut rx_a2) = mpsc::channel(8);
        rooms.resume(&a.resume_token, tx_a2).unwrap();
        assert!(matches!(
            try_next(&mut rx_a2),
            Ok(ServerMsg::Welcome { .. })
        ));
        for _ in 0..2 {
            assert!(
                matches!(try_next(&mut rx_a2), Ok(ServerMsg::Offer { from, .. }) if from == b.peer)
            );
        }
        assert!(try_next(&mut rx_a2).is_err(), "C's offer went with C");
    }

    #[tokio::test]
    async fn a_reconnecting_peer_holds_a_bounded_number_of_relays() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        let b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 6), tx_b, &mut rx_b);
        rooms.disconnected(&a, &mut rx_a);
        for _ in 0..MAX_HELD_RELAYS + 10 {
            rooms
                .relay(&a.code, &b.peer, &a.peer, offer(&b.peer))
                .unwrap();
        }
        let (tx_a2, mut rx_a2) = mpsc::channel(OUTBOX_CAPACITY);
        rooms.resume(&a.resume_token, tx_a2).unwrap();
        assert!(matches!(
            try_next(&mut rx_a2),
            Ok(ServerMsg::Welcome { .. })
        ));
        let mut delivered = 0;
        while try_next(&mut rx_a2).is_ok() {
            delivered += 1;
        }
        assert_eq!(delivered, MAX_HELD_RELAYS);
    }

    #[tokio::test]
    async fn a_third_participant_moves_the_room_to_the_sfu_and_back() {
        let rooms = Rooms::new(Duration::from_secs(30), 2);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let (tx_c, mut rx_c) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 50), tx_a, &mut rx_a);
        assert_eq!(a.topology, Topology::P2p);
        let b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 50), tx_b, &mut rx_b);
        assert_eq!(b.topology, Topology::P2p);
        let c = seated(&rooms, ticket("aaa-aaaa-aaa", "C", 50), tx_c, &mut rx_c);
        assert_eq!(
            c.topology,
            Topology::Sfu,
            "the newcomer learns it in welcome"
        );
        let mut seen = Vec::new();
        while let Ok(msg) = try_next(&mut rx_a) {
            seen.push(msg);
        }
        assert!(seen.contains(&ServerMsg::Topology {
            topology: Topology::Sfu
        }));

        rooms.leave(&c);
        assert!(
            !matches!(try_next(&mut rx_a), Ok(ServerMsg::Topology { .. })),
            "no switch back at once"
        );
        tokio::time::sleep(SWITCH_BACK_DELAY + Duration::from_millis(300)).await;
        let mut back = false;
        while let Ok(msg) = try_next(&mut rx_a) {
            back |= msg
                == ServerMsg::Topology {
                    topology: Topology::P2p,
                };
        }
        assert!(back, "two people go back to peer-to-peer");
    }

    #[tokio::test]
    async fn a_reader_that_stops_is_cut_off_and_resumes_with_a_fresh_token() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(2);
        let (tx_b, mut rx_b) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        let b = seated(&rooms, ticket("aaa-aaaa-aaa", "B", 6), tx_b, &mut rx_b);
        for _ in 0..5 {
            rooms
                .relay(&a.code, &b.peer, &a.peer, offer(&b.peer))
                .unwrap();
        }
        // A never read: its outbox overflowed and the registry let go of it, so the socket
        // task's inbox ends after what it holds (and the task closes the socket).
        let mut got = 0;
        while next(&mut rx_a).await.is_some() {
            got += 1;
        }
        assert_eq!(got, 2);
        rooms.disconnected(&a, &mut rx_a);
        let (tx_a2, _rx_a2) = mpsc::channel(8);
        let resumed = rooms.resume(&a.resume_token, tx_a2).unwrap();
        assert_eq!(resumed.peer, a.peer);
        assert_ne!(
            resumed.resume_token, a.resume_token,
            "a new token per resume"
        );
        assert!(
            rooms.resume(&a.resume_token, mpsc::channel(1).0).is_err(),
            "the old token is spent"
        );
    }

    #[tokio::test]
    async fn a_resume_while_the_old_socket_is_open_closes_it_and_its_goodbye_is_ignored() {
        let rooms = Rooms::new(Duration::from_secs(30), 6);
        let (tx_a, mut rx_a) = mpsc::channel(8);
        let (tx_b, _rx_b) = mpsc::channel(8);
        let a = seated(&rooms, ticket("aaa-aaaa-aaa", "A", 6), tx_a, &mut rx_a);
        rooms.join(ticket("aaa-aaaa-aaa", "B", 6), tx_b).unwrap();
        let (tx_a2, _rx_a2) = mpsc::channel(8);
        let resumed = rooms.resume(&a.resume_token, tx_a2).unwrap();
        while try_next(&mut rx_a).is_ok() {}
        assert!(
            next(&mut rx_a).await.is_none(),
            "the old socket's inbox is closed"
        );
        // The old socket's task ends: its disconnect and a late `leave` change nothing.
        rooms.disconnected(&a, &mut rx_a);
        rooms.leave(&a);
        assert_eq!(rooms.count(&a.code), 2);
        rooms.leave(&resumed);
        assert_eq!(rooms.count(&a.code), 1);
    }
}
