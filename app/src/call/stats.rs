//! `getStats` of a peer connection turned into a `Quality`: bitrate and loss over the last
//! interval, round-trip time, and totals.

use super::js;
use super::quality::{Quality, loss_pct};
use web_sys::{RtcPeerConnection, RtcRtpSender};

/// Cumulative counters from one report; two of them make an interval.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    at_ms: f64,
    bytes_in: f64,
    packets_lost: f64,
    packets_received: f64,
    audio_bytes_in: f64,
    audio_energy: f64,
    frames_decoded: f64,
}

/// Samples `pc`; with `mids`, only the inbound streams on those m-lines count (one
/// participant's share of the connection to the SFU).
pub async fn sample(
    pc: &RtcPeerConnection,
    previous: Option<Sample>,
    mids: Option<&[String]>,
) -> Option<(Sample, Quality)> {
    let report = js::wait(pc.get_stats()).await.ok()?;
    let mut now = Sample {
        at_ms: js::now_ms(),
        ..Sample::default()
    };
    let mut rtt_ms = None;
    let mut relayed = false;
    let mut local_candidate_id = None;
    let mut candidates = Vec::new();
    let values = js::call(&report, "values", &[]).ok()?;
    let iter = js_sys::try_iter(&values).ok()??;
    for stat in iter.flatten() {
        let num = |k: &str| js::get_f64(&stat, k).unwrap_or(0.0);
        match js::get_str(&stat, "type").as_deref() {
            Some("inbound-rtp")
                if mids.is_none_or(|mids| {
                    js::get_str(&stat, "mid").is_some_and(|mid| mids.contains(&mid))
                }) =>
            {
                now.bytes_in += num("bytesReceived");
                now.packets_lost += num("packetsLost");
                now.packets_received += num("packetsReceived");
                match js::get_str(&stat, "kind").as_deref() {
                    Some("audio") => {
                        now.audio_bytes_in += num("bytesReceived");
                        now.audio_energy += num("totalAudioEnergy");
                    }
                    Some("video") => now.frames_decoded += num("framesDecoded"),
                    _ => {}
                }
            }
            Some("candidate-pair")
                if js::get_str(&stat, "state").as_deref() == Some("succeeded")
                    && js::get(&stat, "nominated").as_bool() == Some(true) =>
            {
                rtt_ms = js::get_f64(&stat, "currentRoundTripTime").map(|s| (s * 1000.0) as u32);
                local_candidate_id = js::get_str(&stat, "localCandidateId");
            }
            Some("local-candidate") => candidates.push((
                js::get_str(&stat, "id"),
                js::get_str(&stat, "candidateType"),
            )),
            _ => {}
        }
    }
    if let Some(id) = local_candidate_id {
        relayed = candidates
            .iter()
            .any(|(cid, kind)| cid.as_deref() == Some(&id) && kind.as_deref() == Some("relay"));
    }
    let prev = previous.unwrap_or_default();
    let secs = ((now.at_ms - prev.at_ms) / 1000.0).max(0.001);
    let kbps = if previous.is_some() {
        ((now.bytes_in - prev.bytes_in).max(0.0) * 8.0 / 1000.0 / secs) as u32
    } else {
        0
    };
    let quality = Quality {
        kbps_in: kbps,
        loss_pct: loss_pct(
            (now.packets_lost - prev.packets_lost) as i64,
            (now.packets_received - prev.packets_received) as i64,
        ),
        rtt_ms,
        audio_bytes_in: now.audio_bytes_in as u64,
        audio_energy: now.audio_energy,
        video_frames_decoded: now.frames_decoded as u64,
        relayed,
    };
    Some((now, quality))
}

/// The track `sender` sends and how many frames of it have been encoded so far.
pub async fn frames_encoded(sender: &RtcRtpSender) -> Option<(String, f64)> {
    let track = sender.track()?.id();
    let report = js::call_async(sender, "getStats", &[]).await.ok()?;
    let values = js::call(&report, "values", &[]).ok()?;
    let mut frames = 0.0;
    for stat in js_sys::try_iter(&values).ok()??.flatten() {
        if js::get_str(&stat, "type").as_deref() == Some("outbound-rtp") {
            frames += js::get_f64(&stat, "framesEncoded").unwrap_or(0.0);
        }
    }
    Some((track, frames))
}
