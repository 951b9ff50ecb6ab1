//! Reusable UI pieces.

pub mod attendance;
pub mod avatar;
pub mod call_controls;
pub mod chat;
pub mod chat_log;
pub mod copy_link;
pub mod device_select;
pub mod form;
pub mod header;
pub mod icons;
pub mod invitations;
pub mod lobby;
pub mod local_time;
pub mod meeting_card;
pub mod meeting_form;
pub mod participants;
pub mod profile;
pub mod prompts;
pub mod shortcuts;
pub mod status;
pub mod video_tile;
