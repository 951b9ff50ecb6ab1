//! Join tickets: what the HTTP join step checked (meeting, name, role), redeemed once by
//! the WebSocket handshake within a minute.

use protocol::signal::Role;
use protocol::{MeetingCode, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TICKET_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Ticket {
    pub code: MeetingCode,
    pub user: Option<UserId>,
    pub display_name: String,
    pub role: Role,
    /// Most participants the meeting admits.
    pub capacity: u32,
}

#[derive(Clone, Default)]
pub struct Tickets {
    inner: Arc<Mutex<HashMap<String, (Ticket, Instant)>>>,
}

impl Tickets {
    pub fn issue(&self, ticket: Ticket, now: Instant) -> String {
        let token = crate::auth::tokens::new_refresh_token();
        let mut map = self
            .inner
            .lock()
            .expect("ticket lock is never held across a panic");
        map.retain(|_, (_, issued)| now.duration_since(*issued) < TICKET_TTL);
        map.insert(token.clone(), (ticket, now));
        token
    }

    /// The ticket, once: a second redemption or an expired ticket gives `None`.
    pub fn redeem(&self, token: &str, now: Instant) -> Option<Ticket> {
        let mut map = self
            .inner
            .lock()
            .expect("ticket lock is never held across a panic");
        let (ticket, issued) = map.remove(token)?;
        (now.duration_since(issued) < TICKET_TTL).then_some(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            code: MeetingCode("abc-defg-hij".into()),
            user: None,
            display_name: "Guest".into(),
            role: Role::Guest,
            capacity: 6,
        }
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
}
