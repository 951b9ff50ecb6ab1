//! Load-test and test bots for Video Meet's SFU.
//!
//! `bot` is a sans-IO str0m client that answers the SFU's offers, publishes a microphone and a
//! camera, and counts what it receives from whom. Tests drive it on a virtual clock with the
//! SFU engine in memory; `client` runs one over real UDP and `/ws` against a live server
//! (integration tests and the `sfu-bench` command). `measure` reads the server process
//! (CPU, memory) for the benchmarks; `signal-bench` loads signaling with WebSocket clients.

pub mod bot;
pub mod client;
pub mod host;
pub mod measure;
