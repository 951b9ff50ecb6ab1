//! Host and moderator actions, and the lobby they run. Every action is checked here against
//! the actor's role and the target's (`Role::may`, `Role::may_act_on`), whatever the client
//! shows.

use super::{Effect, Identity, Room, RoomError, Waiting};
use protocol::room::{HostAction, Notice, Request};
use protocol::signal::{PeerId, Role, ServerMsg};
use std::time::Instant;

impl Room {
    /// Runs `action` for `by`. Refused with `Forbidden` when `by`'s role may not, and with
    /// `UnknownPeer` when the target is not there (or is `by`).
    pub fn act(
        &mut self,
        by: &PeerId,
        action: HostAction,
        now: Instant,
    ) -> Result<Vec<Effect>, RoomError> {
        let role = self.role_of(by).ok_or(RoomError::UnknownPeer)?;
        if !role.may(&action) {
            return Err(RoomError::Forbidden);
        }
        let by_name = self.name_of(by);
        let mut out = Vec::new();
        match action {
            HostAction::Admit { peer } => {
                let waiting = self.take_waiting(&peer)?;
                self.seat(waiting.joining, now, &mut out);
                self.lobby_changed(None, &mut out);
            }
            HostAction::AdmitAll => {
                for waiting in std::mem::take(&mut self.waiting) {
                    if self
                        .admits(&waiting.joining.identity, waiting.joining.role)
                        .is_ok()
                        && self.members.len() < waiting.joining.capacity as usize
                    {
                        self.seat(waiting.joining, now, &mut out);
                    } else {
                        self.waiting.push(waiting);
                    }
                }
                self.lobby_changed(None, &mut out);
            }
            HostAction::Deny { peer } => {
                let waiting = self.take_waiting(&peer)?;
                out.push(Effect::Send {
                    to: peer.clone(),
                    msg: ServerMsg::Denied,
                });
                out.push(Effect::Left {
                    peer,
                    resume_token: waiting.joining.resume_token,
                });
                self.lobby_changed(None, &mut out);
            }
            HostAction::Lock | HostAction::Unlock => {
                let locked = matches!(action, HostAction::Lock);
                if self.locked != locked {
                    self.locked = locked;
                    self.broadcast_all(&ServerMsg::Locked { locked }, &mut out);
                    let notice = if locked {
                        Notice::Locked { by: by_name }
                    } else {
                        Notice::Unlocked { by: by_name }
                    };
                    self.broadcast_all(&ServerMsg::Notice { notice }, &mut out);
                }
            }
            HostAction::MuteAll => {
                let targets: Vec<PeerId> = self
                    .members
                    .iter()
                    .filter(|(id, m)| *id != by && role.may_act_on(m.info.role))
                    .map(|(id, _)| id.clone())
                    .collect();
                for peer in targets {
                    self.mute(&peer, &by_name, &mut out);
                }
                let notice = Notice::MutedAll { by: by_name };
                self.broadcast_all(&ServerMsg::Notice { notice }, &mut out);
            }
            action => {
                let peer = action.target().cloned().ok_or(RoomError::UnknownPeer)?;
                let target = self.role_of(&peer).ok_or(RoomError::UnknownPeer)?;
                if &peer == by {
                    return Err(RoomError::UnknownPeer);
                }
                if !role.may_act_on(target) {
                    return Err(RoomError::Forbidden);
                }
                self.act_on(&peer, target, action, by, by_name, now, &mut out)?;
            }
        }
        Ok(out)
    }

    /// An action about one seated participant, already allowed.
    #[allow(clippy::too_many_arguments)]
    fn act_on(
        &mut self,
        peer: &PeerId,
        target: Role,
        action: HostAction,
        by: &PeerId,
        by_name: String,
        now: Instant,
        out: &mut Vec<Effect>,
    ) -> Result<(), RoomError> {
        let name = self.name_of(peer);
        let notice = match action {
            HostAction::Mute { .. } => {
                self.mute(peer, &by_name, out);
                Some(Notice::Muted { name, by: by_name })
            }
            HostAction::AskUnmute { .. } | HostAction::AskCamera { .. } => {
                let request = if matches!(action, HostAction::AskUnmute { .. }) {
                    Request::Microphone
                } else {
                    Request::Camera
                };
                self.send_or_hold(
                    peer,
                    ServerMsg::Asked {
                        request,
                        by: by_name,
                    },
                    out,
                );
                None
            }
            HostAction::Remove { .. } => {
                out.push(Effect::Send {
                    to: peer.clone(),
                    msg: ServerMsg::Removed {
                        by: by_name.clone(),
                    },
                });
                if let Some(member) = self.members.remove(peer) {
                    self.guests_wait |= matches!(member.identity, Identity::Guest(_));
                    self.removed.insert(member.identity.clone());
                    self.moderators.remove(&member.identity);
                    self.left(peer, member, now, out);
                }
                Some(Notice::Removed { name, by: by_name })
            }
            HostAction::Promote { .. } if target != Role::Moderator && target != Role::Host => {
                self.set_role(peer, Role::Moderator, out);
                Some(Notice::RoleChanged {
                    name,
                    role: Role::Moderator,
                    by: by_name,
                })
            }
            HostAction::Demote { .. } if target == Role::Moderator => {
                let role = self.set_role(peer, Role::Participant, out);
                Some(Notice::RoleChanged {
                    name,
                    role,
                    by: by_name,
                })
            }
            HostAction::MakeHost { .. } => {
                self.set_role(by, Role::Moderator, out);
                self.set_role(peer, Role::Host, out);
                Some(Notice::RoleChanged {
                    name,
                    role: Role::Host,
                    by: by_name,
                })
            }
            HostAction::LowerHand { .. } => {
                let member = self.members.get_mut(peer).ok_or(RoomError::UnknownPeer)?;
                if member.info.hand.take().is_none() {
                    return Ok(());
                }
                let update = ServerMsg::PeerUpdated {
                    peer: member.info.clone(),
                };
                self.broadcast_all(&update, out);
                Some(Notice::HandLowered { name, by: by_name })
            }
            // Promoting a moderator or demoting a participant changes nothing.
            _ => None,
        };
        if let Some(notice) = notice {
            self.broadcast_all(&ServerMsg::Notice { notice }, out);
        }
        Ok(())
    }

    /// Turns `peer`'s microphone off: they are told (their browser stops sending), and the
    /// room sees them muted at once.
    fn mute(&mut self, peer: &PeerId, by_name: &str, out: &mut Vec<Effect>) {
        if self.change_media(peer, |m| m.audio = false, out) {
            self.send_or_hold(
                peer,
                ServerMsg::ForceMuted {
                    by: by_name.to_owned(),
                },
                out,
            );
        }
    }

    /// Gives `peer` `role` (`Participant` means "back to what they were": participant or
    /// guest) and tells everyone, them included. Returns the role given.
    fn set_role(&mut self, peer: &PeerId, role: Role, out: &mut Vec<Effect>) -> Role {
        let Some(member) = self.members.get_mut(peer) else {
            return role;
        };
        let role = match role {
            Role::Participant => member.identity.base_role(),
            role => role,
        };
        member.info.role = role;
        if role == Role::Moderator {
            self.moderators.insert(member.identity.clone());
        } else {
            self.moderators.remove(&member.identity);
        }
        let update = ServerMsg::PeerUpdated {
            peer: member.info.clone(),
        };
        self.broadcast_all(&update, out);
        if role.runs_room() && !self.waiting.is_empty() {
            self.lobby_changed(Some(peer), out);
        }
        role
    }

    fn take_waiting(&mut self, peer: &PeerId) -> Result<Waiting, RoomError> {
        let at = self
            .waiting
            .iter()
            .position(|w| &w.peer == peer)
            .ok_or(RoomError::UnknownPeer)?;
        Ok(self.waiting.remove(at))
    }

    /// A waiting person left (or their socket dropped).
    pub(super) fn unwait(&mut self, peer: &PeerId, out: &mut Vec<Effect>) {
        if let Ok(waiting) = self.take_waiting(peer) {
            out.push(Effect::Left {
                peer: peer.clone(),
                resume_token: waiting.joining.resume_token,
            });
            self.lobby_changed(None, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, Joining};
    use super::*;
    use protocol::UserId;
    use std::time::Duration;

    fn id(name: &str) -> PeerId {
        PeerId(name.to_lowercase())
    }

    fn joining(name: &str, role: Role, lobby: bool) -> Joining {
        let identity = match role {
            Role::Guest => Identity::Guest(format!("key-{name}")),
            _ => Identity::User(UserId(format!("user-{name}"))),
        };
        Joining {
            peer: id(name),
            display_name: name.into(),
            avatar: None,
            role,
            identity,
            resume_token: format!("token-{name}"),
            capacity: 50,
            lobby,
        }
    }

    fn sent_to<'a>(effects: &'a [Effect], to: &str) -> Vec<&'a ServerMsg> {
        super::super::sent_to(effects, &id(to))
    }

    /// Host H, participant P, guest G, seated (no lobby).
    fn room() -> (Room, Instant) {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        for (name, role) in [
            ("H", Role::Host),
            ("P", Role::Participant),
            ("G", Role::Guest),
        ] {
            room.join(joining(name, role, false), t0).unwrap();
        }
        (room, t0)
    }

    fn every_action(peer: &str) -> Vec<HostAction> {
        let peer = id(peer);
        vec![
            HostAction::Mute { peer: peer.clone() },
            HostAction::AskUnmute { peer: peer.clone() },
            HostAction::AskCamera { peer: peer.clone() },
            HostAction::MuteAll,
            HostAction::Remove { peer: peer.clone() },
            HostAction::Promote { peer: peer.clone() },
            HostAction::Demote { peer: peer.clone() },
            HostAction::MakeHost { peer: peer.clone() },
            HostAction::LowerHand { peer: peer.clone() },
            HostAction::Admit { peer: peer.clone() },
            HostAction::Deny { peer: peer.clone() },
            HostAction::AdmitAll,
            HostAction::Lock,
            HostAction::Unlock,
        ]
    }

    #[test]
    fn participants_and_guests_may_not_run_the_room() {
        let (mut room, t0) = room();
        for actor in ["P", "G"] {
            for action in every_action("H") {
                assert_eq!(
                    room.act(&id(actor), action.clone(), t0),
                    Err(RoomError::Forbidden),
                    "{actor}: {action:?}"
                );
            }
        }
        assert_eq!(room.len(), 3);
        assert!(!room.is_locked());
    }

    #[test]
    fn moderators_act_on_participants_and_guests_but_not_on_the_host_or_roles() {
        let (mut room, t0) = room();
        let effects = room
            .act(&id("H"), HostAction::Promote { peer: id("P") }, t0)
            .unwrap();
        assert!(
            sent_to(&effects, "P").iter().any(
                |m| matches!(m, ServerMsg::PeerUpdated { peer } if peer.role == Role::Moderator)
            ),
            "the promoted person learns their role"
        );
        for action in [
            HostAction::Mute { peer: id("H") },
            HostAction::Remove { peer: id("H") },
            HostAction::Promote { peer: id("G") },
            HostAction::MakeHost { peer: id("P") },
        ] {
            assert_eq!(room.act(&id("P"), action, t0), Err(RoomError::Forbidden));
        }
        let effects = room
            .act(&id("P"), HostAction::Mute { peer: id("G") }, t0)
            .unwrap();
        assert!(matches!(sent_to(&effects, "G")[0], ServerMsg::ForceMuted { by } if by == "P"));
        assert!(
            sent_to(&effects, "H")
                .iter()
                .any(|m| matches!(m, ServerMsg::PeerUpdated { peer } if !peer.media.audio)),
            "the room sees the mute at once"
        );
        assert!(
            effects.iter().any(
                |e| matches!(e, Effect::Media { peer, media } if peer == &id("G") && !media.audio)
            ),
            "the SFU is told, so it stops forwarding G's microphone"
        );
        // Mute all by a moderator spares the host.
        let effects = room.act(&id("P"), HostAction::MuteAll, t0).unwrap();
        assert!(
            !sent_to(&effects, "H")
                .iter()
                .any(|m| matches!(m, ServerMsg::ForceMuted { .. }))
        );
        assert!(
            sent_to(&effects, "G")
                .iter()
                .any(|m| matches!(m, ServerMsg::ForceMuted { .. }))
        );
    }

    #[test]
    fn a_removed_person_cannot_come_back_and_a_moderator_keeps_the_role_on_rejoin() {
        let (mut room, t0) = room();
        room.act(&id("H"), HostAction::Promote { peer: id("P") }, t0)
            .unwrap();
        let effects = room
            .act(&id("H"), HostAction::Remove { peer: id("G") }, t0)
            .unwrap();
        assert!(matches!(
            sent_to(&effects, "G")[..],
            [ServerMsg::Removed { .. }]
        ));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Left { peer, .. } if *peer == id("G")))
        );
        assert!(sent_to(&effects, "P").iter().any(|m| matches!(
            m,
            ServerMsg::Notice { notice: Notice::Removed { name, .. } } if name == "G"
        )));
        let mut again = joining("G", Role::Guest, false);
        again.peer = id("G2");
        assert_eq!(room.join(again, t0).err(), Some(RoomError::Removed));
        // The removed guest could come back with a new browser key: every new guest now
        // waits for the room's runners, lobby or not; signed-in people still walk in.
        let (entry, effects) = room.join(joining("Other", Role::Guest, false), t0).unwrap();
        assert_eq!(entry, Entry::Waiting);
        assert!(sent_to(&effects, "H").iter().any(|m| matches!(
            m,
            ServerMsg::Lobby { waiting } if waiting.len() == 1 && waiting[0].display_name == "Other"
        )));
        let (entry, _) = room
            .join(joining("Q", Role::Participant, false), t0)
            .unwrap();
        assert!(matches!(entry, Entry::Seated(_)));

        room.leave(&id("P"), t0);
        let mut back = joining("P", Role::Participant, false);
        back.peer = id("P2");
        room.join(back, t0).unwrap();
        assert_eq!(room.role_of(&id("P2")), Some(Role::Moderator));
    }

    #[test]
    fn people_already_let_in_come_back_without_waiting_again() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("H", Role::Host, true), t0).unwrap();
        room.join(joining("A", Role::Guest, true), t0).unwrap();
        room.act(&id("H"), HostAction::Admit { peer: id("A") }, t0)
            .unwrap();
        room.join(joining("B", Role::Guest, false), t0).unwrap();
        // A guest is removed: new guests wait from now on, whatever the lobby setting.
        room.act(&id("H"), HostAction::Remove { peer: id("B") }, t0)
            .unwrap();
        room.leave(&id("A"), t0);
        // A reloads (a new peer id, the same browser key): seated at once, lobby or not.
        let mut back = joining("A", Role::Guest, true);
        back.peer = id("A2");
        let (entry, _) = room.join(back, t0).unwrap();
        assert!(matches!(entry, Entry::Seated(_)), "{entry:?}");
        // Someone new still waits.
        let (entry, _) = room.join(joining("C", Role::Guest, false), t0).unwrap();
        assert_eq!(entry, Entry::Waiting);
    }

    #[test]
    fn the_owner_removed_after_handing_the_room_over_comes_back_as_host() {
        let (mut room, t0) = room();
        room.act(&id("H"), HostAction::MakeHost { peer: id("P") }, t0)
            .unwrap();
        room.act(&id("P"), HostAction::Remove { peer: id("H") }, t0)
            .unwrap();
        assert_eq!(room.role_of(&id("H")), None, "the owner was removed");
        // The join step gives the meeting's owner the host role: they are let in.
        let mut back = joining("H", Role::Host, false);
        back.peer = id("H2");
        let (entry, _) = room.join(back, t0).expect("the owner comes back");
        assert!(matches!(entry, Entry::Seated(_)));
        assert_eq!(room.role_of(&id("H2")), Some(Role::Host));
    }

    #[test]
    fn the_lobby_holds_people_until_admitted_or_denied() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("H", Role::Host, true), t0).unwrap();
        let (entry, effects) = room.join(joining("A", Role::Guest, true), t0).unwrap();
        assert_eq!(entry, Entry::Waiting);
        assert_eq!(sent_to(&effects, "A"), vec![&ServerMsg::Waiting]);
        assert!(
            matches!(sent_to(&effects, "H")[..], [ServerMsg::Lobby { waiting }] if waiting.len() == 1 && !waiting[0].signed_in)
        );
        let (_, effects) = room
            .join(joining("B", Role::Participant, true), t0)
            .unwrap();
        assert!(
            matches!(sent_to(&effects, "H")[..], [ServerMsg::Lobby { waiting }] if waiting.len() == 2)
        );
        assert_eq!(room.len(), 1, "nobody waiting is seated");
        assert_eq!(
            room.chat_names(&id("A"), None),
            Err(RoomError::Waiting),
            "no chat from the lobby"
        );

        let effects = room
            .act(&id("H"), HostAction::Admit { peer: id("A") }, t0)
            .unwrap();
        assert!(
            matches!(sent_to(&effects, "A")[0], ServerMsg::Welcome { peers, .. } if peers.len() == 1)
        );
        assert!(
            sent_to(&effects, "H")
                .iter()
                .any(|m| matches!(m, ServerMsg::PeerJoined { .. }))
        );
        let effects = room
            .act(&id("H"), HostAction::Deny { peer: id("B") }, t0)
            .unwrap();
        assert_eq!(sent_to(&effects, "B"), vec![&ServerMsg::Denied]);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Left { peer, .. } if *peer == id("B")))
        );
        assert_eq!(room.len(), 2);
        assert_eq!(
            room.act(&id("H"), HostAction::Admit { peer: id("B") }, t0),
            Err(RoomError::UnknownPeer)
        );
        // A waiting person whose socket drops leaves the lobby.
        room.join(joining("C", Role::Guest, true), t0).unwrap();
        let effects = room.disconnect(&id("C"), 1, Vec::new(), t0);
        assert!(
            matches!(sent_to(&effects, "H")[..], [ServerMsg::Lobby { waiting }] if waiting.is_empty())
        );
        assert!(!room.is_waiting(&id("C")));
    }

    #[test]
    fn admit_all_seats_everyone_waiting_at_once() {
        let t0 = Instant::now();
        let mut room = Room::new(6, Duration::from_secs(30));
        room.join(joining("H", Role::Host, true), t0).unwrap();
        for name in ["A", "B"] {
            let (entry, _) = room.join(joining(name, Role::Guest, true), t0).unwrap();
            assert_eq!(entry, Entry::Waiting);
        }
        let effects = room.act(&id("H"), HostAction::AdmitAll, t0).unwrap();
        for name in ["A", "B"] {
            assert!(
                matches!(
                    sent_to(&effects, name).first(),
                    Some(ServerMsg::Welcome { .. })
                ),
                "{name} is welcomed"
            );
            assert!(!room.is_waiting(&id(name)));
        }
        assert_eq!(room.len(), 3);
        assert!(
            sent_to(&effects, "H")
                .iter()
                .any(|m| matches!(m, ServerMsg::Lobby { waiting } if waiting.is_empty())),
            "the host's lobby list is empty"
        );
    }

    #[test]
    fn a_locked_room_refuses_everyone_new_but_the_host() {
        let (mut room, t0) = room();
        room.act(&id("H"), HostAction::Lock, t0).unwrap();
        assert_eq!(
            room.join(joining("New", Role::Participant, false), t0)
                .err(),
            Some(RoomError::Locked)
        );
        room.leave(&id("H"), t0);
        let mut host = joining("H", Role::Host, false);
        host.peer = id("H2");
        assert!(room.join(host, t0).is_ok(), "the host always gets in");
        room.act(&id("H2"), HostAction::Unlock, t0).unwrap();
        assert!(
            room.join(joining("New", Role::Participant, false), t0)
                .is_ok()
        );
    }

    #[test]
    fn hands_keep_their_order_and_the_host_can_lower_them() {
        let (mut room, t0) = room();
        room.hand(&id("G"), true);
        let effects = room.hand(&id("P"), true);
        assert!(
            sent_to(&effects, "H")
                .iter()
                .any(|m| matches!(m, ServerMsg::PeerUpdated { peer } if peer.hand == Some(2)))
        );
        let effects = room
            .act(&id("H"), HostAction::LowerHand { peer: id("G") }, t0)
            .unwrap();
        assert!(
            sent_to(&effects, "G")
                .iter()
                .any(|m| matches!(m, ServerMsg::PeerUpdated { peer } if peer.hand.is_none())),
            "the person whose hand was lowered sees it"
        );
        let late = joining("Late", Role::Guest, false);
        let (entry, _) = room.join(late, t0).unwrap();
        let Entry::Seated(welcome) = entry else {
            panic!()
        };
        assert!(
            welcome
                .others
                .iter()
                .any(|p| p.id == id("P") && p.hand == Some(2)),
            "late joiners see raised hands"
        );
    }
}
