//! One page per file.

pub mod auth;
pub mod dashboard;
pub mod home;
pub mod meeting;
pub mod not_found;
