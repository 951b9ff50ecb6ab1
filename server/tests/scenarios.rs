//! Integration scenarios, one per file, compiled into one test binary: linking a binary that
//! holds SurrealDB and Leptos takes long and much disk, so it is done once, not per file.

mod common;

mod attendance;
mod auth_accounts;
mod auth_rate_limit;
mod auth_refresh_rotation;
mod avatars;
mod calendar;
mod chat_durability;
mod invitations;
mod light_pages;
mod meeting_room;
mod meetings_crud;
mod ops_and_pages;
mod origin_check;
mod persistence_restart;
mod sessions;
mod sfu_bots;
mod signaling;
mod slow_clients;
mod tls;
