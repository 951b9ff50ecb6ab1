//! Join tickets: what the HTTP join step checked (meeting, name, role), redeemed once by
//! the WebSocket handshake within a minute. Tickets are also kept in the order they were
//! issued, so expired ones are dropped from the front: issuing never scans the live ones.

use super::Identity;
use protocol::MeetingCode;
use protocol::signal::Role;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TICKET_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Ticket {
    pub code: MeetingCode,
    /// The meeting's record key.
    pub meeting: String,
    pub identity: Identity,
    pub display_name: String,
    /// Path of the profile picture, if any.
    pub avatar: Option<String>,
    pub role: Role,
    /// Most participants the meeting admits.
    pub capacity: u32,
    /// The meeting has a lobby.
    pub lobby: bool,
}

#[cfg(test)]
impl Ticket {
    /// A guest's ticket to `code` (tests).
    pub fn guest(code: &str, name: &str, capacity: u32) -> Self {
        Ticket {
            code: MeetingCode(code.into()),
            meeting: format!("m-{code}"),
            identity: Identity::Guest(format!("guest-key-{name}")),
            display_name: name.into(),
            avatar: None,
            role: Role::Guest,
            capacity,
            lobby: false,
        }
    }
}

#[derive(Clone, Default)]
pub struct Tickets {
    inner: Arc<Mutex<Issued>>,
}

#[derive(Default)]
struct Issued {
    live: HashMap<String, (Ticket, Instant)>,
    /// Tokens in issue order (redeemed ones stay until they would have expired).
    order: VecDeque<(Instant, String)>,
}

impl Issued {
    fn drop_expired(&mut self, now: Instant) {
        while let Some((issued, _)) = self.order.front() {
            if now.duration_since(*issued) < TICKET_TTL {
                break;
            }
            if let Some((_, token)) = self.order.pop_front() {
                self.live.remove(&token);
            }
        }
    }
}

impl Tickets {
    fn lock(&self) -> std::sync::MutexGuard<'_, Issued> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn issue(&self, ticket: Ticket, now: Instant) -> String {
        let token = crate::ids::random_token();
        let mut issued = self.lock();
        issued.drop_expired(now);
        issued.live.insert(token.clone(), (ticket, now));
        issued.order.push_back((now, token.clone()));
        token
    }

    /// The ticket, once: a second redemption or an expired ticket gives `None`.
    pub fn redeem(&self, token: &str, now: Instant) -> Option<Ticket> {
        let mut issued = self.lock();
        let (ticket, at) = issued.live.remove(token)?;
        (now.duration_since(at) < TICKET_TTL).then_some(ticket)
    }

    /// Tickets issued and not yet redeemed or dropped.
    pub fn live(&self) -> usize {
        self.lock().live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket::guest("abc-defg-hij", "Guest", 6)
    }

    #[test]
    fn tickets_are_single_use_and_expire() {
        let tickets = Tickets::default();
        let t0 = Instant::now();
        let token = tickets.issue(ticket(), t0);
        assert!(tickets.redeem(&token, t0).is_some());
        assert!(tickets.redeem(&token, t0).is_none());
        let late = tickets.issue(ticket(), t0);
        assert!(tickets.redeem(&late, t0 + TICKET_TTL).is_none());
        assert!(tickets.redeem("forged", t0).is_none());
    }

    #[test]
    fn expired_tickets_are_dropped_as_new_ones_are_issued() {
        let tickets = Tickets::default();
        let t0 = Instant::now();
        for _ in 0..1000 {
            let _ = tickets.issue(ticket(), t0);
        }
        let redeemed = tickets.issue(ticket(), t0 + Duration::from_secs(30));
        assert!(
            tickets
                .redeem(&redeemed, t0 + Duration::from_secs(31))
                .is_some()
        );
        assert_eq!(tickets.live(), 1000);
        let _ = tickets.issue(ticket(), t0 + TICKET_TTL);
        assert_eq!(tickets.live(), 1, "the thousand expired ones are gone");
    }
}
