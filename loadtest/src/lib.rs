//! Load-test and test bots for Video Meet's SFU.
//!
//! `bot` is a sans-IO str0m client that answers the SFU's offers, publishes a microphone and a
//! camera, and counts what it receives from whom. Tests drive it on a virtual clock with the
//! SFU engine in memory, or over real UDP sockets.

pub mod bot;
