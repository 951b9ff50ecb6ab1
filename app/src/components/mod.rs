//! Reusable UI pieces.

pub mod call_controls;
pub mod device_select;
pub mod form;
pub mod header;
pub mod icons;
pub mod local_time;
pub mod meeting_card;
pub mod meeting_form;
pub mod participants;
pub mod status;
pub mod video_tile;
