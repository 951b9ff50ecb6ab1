//! Reactive stores shared through context.

pub mod auth;
