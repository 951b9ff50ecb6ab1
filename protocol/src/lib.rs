//! Types shared by the browser and the server: REST bodies, errors, ids and validation rules.
//!
//! Serde only: no leptos, no tokio, so both the WASM bundle and the server can depend on it.

pub mod api;
pub mod error;
pub mod ids;
pub mod room;
pub mod signal;
pub mod validate;

pub use api::*;
pub use error::{ApiError, ErrorBody, ErrorCode, FieldErrors};
pub use ids::{MeetingCode, UserId};
pub use signal::{ClientMsg, PeerId, ServerMsg};
