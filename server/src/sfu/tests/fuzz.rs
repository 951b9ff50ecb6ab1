//! Fuzzing the SFU's datagram entry (`Engine::handle_datagram`), where bytes from anyone on
//! the network arrive: real STUN, DTLS and SRTP datagrams of a live call, mutated (bit flips,
//! truncation, splices, a live session's ufrag with a forged integrity, random bytes in each
//! protocol's first-byte range), over UDP and as ICE-TCP frames, from the bots' own addresses
//! and from strangers. Nothing may panic (the engine's guards would hide one: it counts
//! them, and the count must stay 0), no session is made from the network, and the addresses
//! the engine keeps stay bounded. `SFU_FUZZ_INPUTS` sets the count (CI runs the default; a longer run is the
//! same test with a larger number). Seeded, so a failure can be replayed.

use super::{Net, forged_binding_request};
use crate::sfu::Forwarding;
use crate::sfu::engine::ADDRS_PER_SESSION;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::SocketAddr;
use std::time::Duration;
use str0m::net::Protocol;

const DEFAULT_INPUTS: usize = 200_000;

fn inputs() -> usize {
    std::env::var("SFU_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_INPUTS)
}

/// One input made from the corpus.
fn mutate(rng: &mut StdRng, corpus: &[Vec<u8>], ufrags: &[String]) -> Vec<u8> {
    let base = &corpus[rng.random_range(0..corpus.len())];
    match rng.random_range(0..7) {
        // Bit flips.
        0 => {
            let mut d = base.clone();
            for _ in 0..rng.random_range(1..8) {
                if d.is_empty() {
                    break;
                }
                let i = rng.random_range(0..d.len());
                d[i] ^= 1 << rng.random_range(0..8);
            }
            d
        }
        // Truncated.
        1 => base[..rng.random_range(0..=base.len())].to_vec(),
        // Two spliced.
        2 => {
            let other = &corpus[rng.random_range(0..corpus.len())];
            let cut = rng.random_range(0..=base.len());
            let from = rng.random_range(0..=other.len());
            [&base[..cut], &other[from..]].concat()
        }
        // A live session's ufrag with the wrong password.
        3 => {
            let ufrag = &ufrags[rng.random_range(0..ufrags.len())];
            forged_binding_request(&format!("{ufrag}:x"))
        }
        // Random bytes behind a first byte of STUN, DTLS or RTP.
        4 => {
            let first = [
                rng.random_range(0..4),
                rng.random_range(20..64),
                rng.random_range(128..192),
            ][rng.random_range(0..3)];
            let mut d = vec![first];
            d.extend((0..rng.random_range(0..1400)).map(|_| rng.random::<u8>()));
            d
        }
        // Bytes overwritten in a run.
        5 => {
            let mut d = base.clone();
            if !d.is_empty() {
                let at = rng.random_range(0..d.len());
                let end = (at + rng.random_range(1..32)).min(d.len());
                rng.fill(&mut d[at..end]);
            }
            d
        }
        // As it was (replays are input too).
        _ => base.clone(),
    }
}

fn fuzz(mode: Forwarding) {
    let mut net = Net::new(mode);
    for name in ["a", "b", "c"] {
        net.join(name);
    }
    net.run(Duration::from_secs(2));
    assert!(net.bots.iter().all(|b| b.connected), "the call is up first");
    let corpus: Vec<Vec<u8>> = net.sent.iter().map(|(_, _, d)| d.clone()).collect();
    let ufrags: Vec<String> = net.ufrags.iter().map(|(_, u)| u.clone()).collect();
    let bots: Vec<SocketAddr> = net.bots.iter().map(|b| b.addr).collect();
    assert!(corpus.len() > 100, "a corpus of real datagrams");
    let mut rng = StdRng::seed_from_u64(0x5f0_f022);
    let to = net.sfu_addr;
    let n = inputs();
    for i in 0..n {
        let datagram = mutate(&mut rng, &corpus, &ufrags);
        let proto = if rng.random_range(0..4) == 0 {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        // From a bot's own address (its session takes the input) or from a stranger.
        let from = if rng.random_bool(0.5) {
            bots[rng.random_range(0..bots.len())]
        } else {
            SocketAddr::from(([10, 7, rng.random(), rng.random()], rng.random()))
        };
        let now = net.now;
        net.sfu.handle_datagram(now, proto, from, to, &datagram);
        // Let time pass now and then, so timeouts and drains run between inputs.
        if i % 1000 == 999 {
            net.now += Duration::from_millis(5);
            let now = net.now;
            net.sfu.handle_timeout(now);
            while net.sfu.poll_output().is_some() {}
        }
    }
    while net.sfu.poll_output().is_some() {}
    assert!(
        net.sfu.participant_count() <= 3,
        "no session is created from the network"
    );
    assert!(
        net.sfu.bound_addr_count() <= 3 * ADDRS_PER_SESSION,
        "addresses stay bounded: {}",
        net.sfu.bound_addr_count()
    );
    // The guards keep the server up through a panic; this test wants none at all.
    assert_eq!(
        net.sfu.panics_caught(),
        0,
        "a parser or a session panicked on fuzzed input"
    );
}

#[test]
fn rtp_mode_survives_fuzzed_datagrams() {
    fuzz(Forwarding::Rtp);
}

#[test]
fn frames_mode_survives_fuzzed_datagrams() {
    fuzz(Forwarding::Frames);
}
