//! When to restart ICE on a link that lost its path. A short `disconnected` often heals by
//! itself, so it gets a grace period; `failed` restarts at once. A restart that does not help
//! (the network is still down, the TURN server is away) is retried with growing pauses for
//! as long as the link is unhealthy, so a call comes back by itself once the path does.
//!
//! Both ends see a broken path at about the same time. If both restarted, their offers would
//! collide, and a collision costs a fresh connection (see `PeerLink::handle_description`). So
//! the impolite side leads; the polite side restarts only as a fallback, when a lead's restart
//! did not heal the link after `POLITE_FALLBACK_MS`, then every `MAX_WAIT_MS`.

/// Grace period for `disconnected`, and the first pause between restarts.
pub const FIRST_WAIT_MS: f64 = 2_500.0;
/// Longest pause between two restarts.
pub const MAX_WAIT_MS: f64 = 15_000.0;
/// How long the polite side leaves a broken link to the other side's restarts.
pub const POLITE_FALLBACK_MS: f64 = 7_500.0;

/// A link's ICE connection, as far as recovery cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceHealth {
    /// `connected` / `completed`.
    Good,
    /// `new` / `checking`: on the way (and after a restart, maybe not).
    Checking,
    /// `disconnected`: maybe a blip.
    Lost,
    /// `failed`.
    Failed,
}

#[derive(Debug, Default, Clone)]
pub struct IceRecovery {
    polite: bool,
    /// When the next restart is due, and how many restarts were made so far.
    plan: Option<(f64, u32)>,
}

/// Pause after the `n`th restart: 2.5, 5, 10, 15, 15… s.
pub fn pause_after(n: u32) -> f64 {
    (FIRST_WAIT_MS * 2_f64.powi(n.saturating_sub(1).min(8) as i32)).min(MAX_WAIT_MS)
}

impl IceRecovery {
    /// Recovery for the polite (`true`) or the impolite end of a link.
    pub fn new(polite: bool) -> Self {
        Self { polite, plan: None }
    }

    /// The connection reported `health`; true if ICE must restart now.
    pub fn on_event(&mut self, health: IceHealth, now_ms: f64) -> bool {
        match (health, self.plan) {
            (IceHealth::Good, _) => {
                self.plan = None;
                false
            }
            (IceHealth::Lost | IceHealth::Failed, None) if self.polite => {
                self.plan = Some((now_ms + POLITE_FALLBACK_MS, 0));
                false
            }
            (IceHealth::Lost, None) => {
                self.plan = Some((now_ms + FIRST_WAIT_MS, 0));
                false
            }
            // A restart already in progress failed again: wait for its pause.
            (IceHealth::Failed, Some((next, n))) if n > 0 && now_ms < next => false,
            (IceHealth::Failed, _) => {
                self.restarted(now_ms);
                true
            }
            _ => false,
        }
    }

    /// Called regularly with the connection's `health`; true if ICE must restart now.
    pub fn due(&mut self, health: IceHealth, now_ms: f64) -> bool {
        if health == IceHealth::Good {
            self.plan = None;
            return false;
        }
        match self.plan {
            Some((next, _)) if now_ms >= next => {
                self.restarted(now_ms);
                true
            }
            _ => false,
        }
    }

    fn restarted(&mut self, now_ms: f64) {
        let n = self.plan.map_or(0, |(_, n)| n) + 1;
        let pause = if self.polite {
            MAX_WAIT_MS
        } else {
            pause_after(n)
        };
        self.plan = Some((now_ms + pause, n));
    }
}

/// The session id of an SDP (`o=- <id> <version> …`): the same for every description of one
/// `RTCPeerConnection`, new for a new one (see `PeerLink::handle_description`).
pub fn session_id(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("o="))
        .and_then(|o| o.split_whitespace().nth(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_come_from_the_origin_line() {
        let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n";
        assert_eq!(session_id(sdp), Some("4611731400430051336"));
        assert_eq!(session_id("v=0\r\ns=-\r\n"), None);
        assert_eq!(session_id("o=-"), None);
    }

    #[test]
    fn a_short_blip_heals_without_a_restart() {
        let mut r = IceRecovery::default();
        assert!(!r.on_event(IceHealth::Lost, 0.0));
        assert!(!r.due(IceHealth::Lost, 1_000.0));
        assert!(!r.on_event(IceHealth::Good, 1_500.0));
        assert!(!r.due(IceHealth::Good, 10_000.0));
    }

    #[test]
    fn a_lasting_loss_restarts_after_the_grace_period_then_backs_off() {
        let mut r = IceRecovery::default();
        r.on_event(IceHealth::Lost, 0.0);
        assert!(!r.due(IceHealth::Lost, FIRST_WAIT_MS - 1.0));
        let mut restarts = vec![];
        let mut t = 0.0;
        while t < 60_000.0 {
            if r.due(IceHealth::Checking, t) {
                restarts.push(t);
            }
            t += 100.0;
        }
        // 2.5, then pauses of 2.5, 5, 10, 15, 15… s.
        assert_eq!(
            restarts[..5],
            [2_500.0, 5_000.0, 10_000.0, 20_000.0, 35_000.0]
        );
        assert_eq!(restarts[5], 50_000.0);
    }

    #[test]
    fn failed_restarts_at_once_but_not_again_within_the_pause() {
        let mut r = IceRecovery::default();
        assert!(r.on_event(IceHealth::Failed, 0.0));
        assert!(
            !r.on_event(IceHealth::Failed, 500.0),
            "the restart is still working"
        );
        assert!(r.due(IceHealth::Failed, FIRST_WAIT_MS));
        assert!(!r.on_event(IceHealth::Good, 3_000.0));
        assert!(
            r.on_event(IceHealth::Failed, 3_100.0),
            "a new failure, a new restart"
        );
    }

    #[test]
    fn the_polite_side_leaves_restarts_to_the_other_side_for_a_while() {
        let mut r = IceRecovery::new(true);
        assert!(!r.on_event(IceHealth::Failed, 0.0), "no restart at once");
        assert!(!r.due(IceHealth::Failed, POLITE_FALLBACK_MS - 1.0));
        // The other side's restart healed the link: nothing to do.
        assert!(!r.due(IceHealth::Good, 3_000.0));
        assert!(!r.due(IceHealth::Lost, POLITE_FALLBACK_MS));

        // It did not: the fallback restarts, then every MAX_WAIT_MS.
        let mut r = IceRecovery::new(true);
        r.on_event(IceHealth::Lost, 0.0);
        assert!(r.due(IceHealth::Checking, POLITE_FALLBACK_MS));
        assert!(!r.due(IceHealth::Checking, POLITE_FALLBACK_MS + MAX_WAIT_MS - 1.0));
        assert!(r.due(IceHealth::Checking, POLITE_FALLBACK_MS + MAX_WAIT_MS));
    }

    #[test]
    fn pauses_grow_to_a_ceiling() {
        assert_eq!(pause_after(1), 2_500.0);
        assert_eq!(pause_after(2), 5_000.0);
        assert_eq!(pause_after(3), 10_000.0);
        assert_eq!(pause_after(4), MAX_WAIT_MS);
        assert_eq!(pause_after(400), MAX_WAIT_MS);
    }
}
