//! What a peer link does with an incoming offer or answer: the decisions of perfect
//! negotiation (with a fresh connection instead of Chromium's broken rollback), as a pure
//! function of the link's state, so each rule is unit-tested without a browser.

/// The link's state when a description arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct View<'a> {
    pub is_offer: bool,
    /// SDP session id of the incoming description (`o=` line).
    pub session: Option<&'a str>,
    /// Session id of the remote descriptions applied so far.
    pub current: Option<&'a str>,
    /// Session id of the remote connection this link replaced.
    pub stale: Option<&'a str>,
    pub making_offer: bool,
    /// Signaling state is `stable`.
    pub stable: bool,
    /// An answer is being applied right now.
    pub answer_pending: bool,
    /// Signaling state is `have-local-offer`.
    pub have_local_offer: bool,
    pub polite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// From the connection this link replaced: drop it.
    DropStale,
    /// An offer from a new remote connection: replace this link and answer it there.
    ResetWithOffer,
    /// A collision on the polite side: replace this link with a fresh one that offers.
    ResetAndOffer,
    /// A collision on the impolite side: ignore their offer, re-send mine if it is old.
    IgnoreAndResend,
    /// A second answer to an offer sent twice: nothing to do.
    DropDuplicateAnswer,
    /// Apply it (and answer, if it is an offer).
    Apply,
}

pub fn decide(v: View<'_>) -> Decision {
    if v.session.is_some() && v.session == v.stale {
        return Decision::DropStale;
    }
    if v.is_offer && v.current.is_some() && v.session.is_some() && v.session != v.current {
        return Decision::ResetWithOffer;
    }
    let ready_for_offer = !v.making_offer && (v.stable || v.answer_pending);
    let collision = v.is_offer && !ready_for_offer;
    if collision {
        return if v.polite {
            Decision::ResetAndOffer
        } else {
            Decision::IgnoreAndResend
        };
    }
    if !v.is_offer && !v.have_local_offer {
        return Decision::DropDuplicateAnswer;
    }
    Decision::Apply
}

/// Whether my offer should go out again: it is still unanswered after `retry_ms`.
pub fn should_resend(
    closed: bool,
    making_offer: bool,
    have_local_offer: bool,
    age_ms: f64,
    retry_ms: f64,
) -> bool {
    !closed && !making_offer && have_local_offer && age_ms >= retry_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stable() -> View<'static> {
        View {
            stable: true,
            current: Some("1"),
            session: Some("1"),
            ..View::default()
        }
    }

    #[test]
    fn offers_in_a_stable_state_are_applied() {
        let v = View {
            is_offer: true,
            ..stable()
        };
        assert_eq!(decide(v), Decision::Apply);
        // The very first offer, before any session is known.
        let first = View {
            is_offer: true,
            current: None,
            session: Some("9"),
            stable: true,
            ..View::default()
        };
        assert_eq!(decide(first), Decision::Apply);
    }

    #[test]
    fn late_messages_from_a_replaced_connection_are_dropped() {
        let v = View {
            is_offer: true,
            session: Some("old"),
            stale: Some("old"),
            ..stable()
        };
        assert_eq!(decide(v), Decision::DropStale);
        let answer = View {
            session: Some("old"),
            stale: Some("old"),
            have_local_offer: true,
            ..stable()
        };
        assert_eq!(decide(answer), Decision::DropStale);
    }

    #[test]
    fn an_offer_from_a_new_remote_connection_resets_the_link() {
        let v = View {
            is_offer: true,
            session: Some("2"),
            ..stable()
        };
        assert_eq!(decide(v), Decision::ResetWithOffer);
    }

    #[test]
    fn collisions_reset_on_the_polite_side_and_are_ignored_on_the_other() {
        let colliding = View {
            is_offer: true,
            stable: false,
            have_local_offer: true,
            ..stable()
        };
        assert_eq!(
            decide(View {
                polite: true,
                ..colliding
            }),
            Decision::ResetAndOffer
        );
        assert_eq!(decide(colliding), Decision::IgnoreAndResend);
        // Making an offer right now collides too, even in a stable state.
        let making = View {
            is_offer: true,
            making_offer: true,
            ..stable()
        };
        assert_eq!(decide(making), Decision::IgnoreAndResend);
        // While an answer is being applied, an offer is not a collision.
        let after_answer = View {
            is_offer: true,
            stable: false,
            answer_pending: true,
            ..stable()
        };
        assert_eq!(decide(after_answer), Decision::Apply);
    }

    #[test]
    fn answers_apply_only_to_an_offer_of_mine() {
        let answer = View {
            have_local_offer: true,
            stable: false,
            ..stable()
        };
        assert_eq!(decide(answer), Decision::Apply);
        assert_eq!(decide(stable()), Decision::DropDuplicateAnswer);
    }

    #[test]
    fn an_offer_is_resent_only_when_old_and_unanswered() {
        assert!(should_resend(false, false, true, 3000.0, 3000.0));
        assert!(!should_resend(false, false, true, 2999.0, 3000.0));
        assert!(!should_resend(true, false, true, 5000.0, 3000.0), "closed");
        assert!(
            !should_resend(false, true, true, 5000.0, 3000.0),
            "making one now"
        );
        assert!(
            !should_resend(false, false, false, 5000.0, 3000.0),
            "answered"
        );
    }
}
