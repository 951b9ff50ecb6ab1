//! Reusable UI pieces.

pub mod form;
pub mod header;
pub mod local_time;
pub mod meeting_card;
pub mod meeting_form;
pub mod status;
