//! Signaling over the `/ws` WebSocket: `ClientMsg` up, `ServerMsg` down, JSON with a `type` tag.
//!
//! The first client message is `hello` with the join ticket from `POST /meetings/{code}/join`
//! (or a resume token). Every request can be answered by an `error`; the socket stays open.

use crate::room::{ChatMessage, HostAction, Notice, Reaction, Request, Waiter};
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change; the server refuses other versions in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest text message the server accepts (larger ones get `error` `too_large`). An
/// `sfu_answer` in a 50-person meeting covers about a hundred m-lines.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Offers, answers and ICE candidates kept for a participant whose socket is down, delivered
/// when it resumes (the server holds those addressed to it, the client those it sends). More
/// are dropped.
pub const MAX_HELD_RELAYS: usize = 64;
/// The server pings this often; three missed pings mean the socket is dead.
pub const HEARTBEAT_SECS: u32 = 15;

/// A participant's id within one meeting session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct PeerId(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Host,
    Moderator,
    Participant,
    Guest,
}

/// Longest `screen_stream` id the server relays.
pub const MAX_STREAM_ID_LEN: usize = 64;

/// What a participant is sending.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct MediaState {
    pub audio: bool,
    pub video: bool,
    pub screen: bool,
    /// The `MediaStream.id` carrying the screen share, so receivers can tell it from the
    /// camera (both arrive as video tracks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_stream: Option<String>,
    /// Data saver: this participant turned the others' cameras off (microphones and screen
    /// shares go on). Peer to peer, the others stop sending their camera to them; through the
    /// SFU, `SfuReceive` tells the server.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub data_saver: bool,
}

impl MediaState {
    /// Stream ids are opaque browser tokens: short, and no characters that need escaping.
    pub fn is_valid(&self) -> bool {
        self.screen_stream.as_deref().is_none_or(|id| {
            !id.is_empty()
                && id.len() <= MAX_STREAM_ID_LEN
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_{}".contains(c))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerInfo {
    pub id: PeerId,
    pub display_name: String,
    pub role: Role,
    pub media: MediaState,
    /// True while the peer's socket is gone but its resume window is open.
    pub reconnecting: bool,
    /// Raised hand: its place in the order hands went up (lower is earlier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand: Option<u32>,
    /// Path of the profile picture of a signed-in participant who has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// An ICE server for `RTCPeerConnection`'s `iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// An ICE candidate as the browser reports it (`RTCIceCandidateInit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, rename = "sdpMid")]
    pub sdp_mid: Option<String>,
    #[serde(default, rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
}

/// `POST /api/v1/meetings/{code}/join` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinRequest {
    /// Required for guests; ignored for signed-in users (they join under their profile name).
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// A guest's browser key (random, kept by the browser): a guest removed by the host is
    /// kept out of that meeting session by it.
    #[serde(default)]
    pub guest_key: Option<String>,
}

/// `POST /api/v1/meetings/{code}/join` answer: open `/ws` and send `hello` with the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinTicket {
    pub ticket: String,
    pub expires_in_secs: u32,
    pub ice_servers: Vec<IceServer>,
    /// Use only TURN relays (`iceTransportPolicy: "relay"`).
    #[serde(default)]
    pub relay_only: bool,
    pub role: Role,
    pub display_name: String,
    /// Path of the joiner's profile picture, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// How media flows in a meeting right now (decided by the server, per meeting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Everyone links to everyone (`offer` / `answer` / `ice` between participants).
    #[default]
    P2p,
    /// Everyone sends once to the server's SFU and receives the others from it
    /// (`sfu_connect`, then `sfu_offer` / `sfu_answer`).
    Sfu,
}

/// What one SFU m-line carries: camera, microphone and screen are separate tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    Mic,
    Camera,
    Screen,
    ScreenAudio,
}

impl TrackKind {
    pub const ALL: [TrackKind; 4] = [
        TrackKind::Mic,
        TrackKind::Camera,
        TrackKind::Screen,
        TrackKind::ScreenAudio,
    ];

    pub fn is_audio(self) -> bool {
        matches!(self, TrackKind::Mic | TrackKind::ScreenAudio)
    }

    pub fn is_screen(self) -> bool {
        matches!(self, TrackKind::Screen | TrackKind::ScreenAudio)
    }
}

/// One of my m-lines in an `sfu_offer` that the server receives on: send `kind` there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuPublish {
    pub mid: String,
    pub kind: TrackKind,
}

/// One m-line in an `sfu_offer` that the server sends on: `peer`'s `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuTrack {
    pub mid: String,
    pub peer: PeerId,
    pub kind: TrackKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Hello {
        version: u32,
        #[serde(default)]
        ticket: Option<String>,
        #[serde(default)]
        resume: Option<String>,
    },
    Ping {
        nonce: u64,
    },
    Pong {
        nonce: u64,
    },
    Offer {
        to: PeerId,
        sdp: String,
    },
    Answer {
        to: PeerId,
        sdp: String,
    },
    Ice {
        to: PeerId,
        candidate: IceCandidate,
    },
    Media {
        media: MediaState,
    },
    /// Start (or restart) my session with the SFU; the server answers with `sfu_offer`.
    SfuConnect,
    /// My answer to the latest `sfu_offer`.
    SfuAnswer {
        sdp: String,
    },
    /// End my SFU session (the meeting went back to peer-to-peer).
    SfuDisconnect,
    /// Whether the SFU sends me the others' cameras (off: audio and screen shares only, to
    /// save bandwidth). Each new SFU session starts with them on.
    SfuReceive {
        cameras: bool,
    },
    /// End the meeting for everyone (the host only).
    EndMeeting,
    /// A chat message to everyone (`to` absent) or privately to one participant. Answered
    /// with `chat_ack` (same `nonce`) once stored, or with `error`.
    Chat {
        nonce: u32,
        #[serde(default)]
        to: Option<PeerId>,
        text: String,
    },
    /// The page of stored messages before `before` (a message id), newest page first.
    ChatHistory {
        #[serde(default)]
        before: Option<String>,
    },
    /// A host or moderator action (see `room::HostAction`).
    Host {
        action: HostAction,
    },
    Hand {
        raised: bool,
    },
    React {
        reaction: Reaction,
    },
    Leave,
    /// My page is going away (closed, or reloading): keep my seat only briefly for a reload
    /// (`leave` gives it up at once).
    Leaving,
    /// Sent after a `welcome` that resumed my seat from a fresh page (a reload): the others
    /// drop their links to me, and I offer new ones.
    Restarted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalErrorCode {
    BadMessage,
    TooLarge,
    UnsupportedVersion,
    NotJoined,
    AlreadyJoined,
    InvalidTicket,
    UnknownPeer,
    InvalidSdp,
    RateLimited,
    /// An SFU request that does not fit now (no SFU session, no offer pending).
    SfuUnavailable,
    /// The sender's role may not do that (e.g. a guest ending the meeting).
    Forbidden,
    /// Admitted people only: the sender is still waiting in the lobby.
    Waiting,
    /// The server could not store a chat message; it was not sent.
    Unavailable,
}

/// Why a meeting ended for everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The host ended it from the room.
    Host,
    /// The host deleted the meeting.
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Welcome {
        you: PeerId,
        resume_token: String,
        peers: Vec<PeerInfo>,
        heartbeat_secs: u32,
        #[serde(default)]
        topology: Topology,
        /// Nobody new gets in (not even to the lobby) while locked.
        #[serde(default)]
        locked: bool,
        /// My role now (a moderator who rejoins keeps the role; absent from old servers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    /// The meeting's media path changed (see `Topology`).
    Topology {
        topology: Topology,
    },
    /// The SFU's offer: answer with `sfu_answer`. Lists what each m-line is for, so receivers
    /// never guess which video is a screen.
    SfuOffer {
        sdp: String,
        publish: Vec<SfuPublish>,
        tracks: Vec<SfuTrack>,
    },
    /// The SFU ended my media session on its own (nothing heard from it in time, or its
    /// connection failed): send `sfu_connect` for a new one if the meeting still uses the SFU.
    SfuClosed {
        message: String,
    },
    PeerJoined {
        peer: PeerInfo,
    },
    PeerUpdated {
        peer: PeerInfo,
    },
    PeerLeft {
        peer: PeerId,
    },
    /// `peer` came back on a fresh page (a reload) and kept their seat: the link to them is
    /// gone with the old page; they offer a new one.
    PeerRestarted {
        peer: PeerId,
    },
    Offer {
        from: PeerId,
        sdp: String,
    },
    Answer {
        from: PeerId,
        sdp: String,
    },
    Ice {
        from: PeerId,
        candidate: IceCandidate,
    },
    Ping {
        nonce: u64,
    },
    Pong {
        nonce: u64,
    },
    Error {
        code: SignalErrorCode,
        message: String,
    },
    /// The meeting is over for everyone; the server closes the socket after this.
    MeetingEnded {
        reason: EndReason,
    },
    /// A chat message for me (to everyone, or private to me).
    Chat {
        message: ChatMessage,
    },
    /// My message `nonce` is stored and was sent.
    ChatAck {
        nonce: u32,
        message: ChatMessage,
    },
    /// Stored messages I may see, oldest first; `more`: older ones exist.
    ChatHistory {
        messages: Vec<ChatMessage>,
        more: bool,
    },
    /// A system line about a host action.
    Notice {
        notice: Notice,
    },
    /// I am in the lobby until a host or moderator admits me (`welcome` follows then).
    Waiting,
    /// The lobby as it is now (to hosts and moderators).
    Lobby {
        waiting: Vec<Waiter>,
    },
    /// I was not admitted; the server closes the socket after this.
    Denied,
    /// A host or moderator removed me; the server closes the socket after this.
    Removed {
        by: String,
    },
    /// A host or moderator turned my microphone off.
    ForceMuted {
        by: String,
    },
    /// A host or moderator asks me to turn something on; I decide.
    Asked {
        request: Request,
        by: String,
    },
    Reaction {
        from: PeerId,
        reaction: Reaction,
    },
    /// The meeting was locked or unlocked.
    Locked {
        locked: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_use_a_type_tag() {
        let msg: ClientMsg = serde_json::from_str(
            r#"{"type":"ice","to":"p1","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        )
        .unwrap();
        assert!(matches!(msg, ClientMsg::Ice { ref to, .. } if to.0 == "p1"));
        let hello = serde_json::to_string(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: Some("t".into()),
            resume: None,
        })
        .unwrap();
        assert!(hello.starts_with(r#"{"type":"hello","version":1"#));
    }

    #[test]
    fn server_errors_round_trip() {
        let msg = ServerMsg::Error {
            code: SignalErrorCode::UnknownPeer,
            message: "No such participant.".into(),
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert!(text.contains(r#""code":"unknown_peer""#));
        assert_eq!(serde_json::from_str::<ServerMsg>(&text).unwrap(), msg);
    }

    #[test]
    fn screen_stream_ids_are_checked() {
        let mut media = MediaState {
            screen: true,
            screen_stream: Some("{0b6c3f1e-7d2a-4c51-9e0f-1a2b3c4d5e6f}".into()),
            ..MediaState::default()
        };
        assert!(media.is_valid());
        media.screen_stream = Some("<script>".into());
        assert!(!media.is_valid());
        media.screen_stream = Some("x".repeat(MAX_STREAM_ID_LEN + 1));
        assert!(!media.is_valid());
        assert!(MediaState::default().is_valid());
    }
}
