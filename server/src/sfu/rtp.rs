//! RTP-mode forwarding (`--sfu-forwarding rtp`): a publisher's packets go to each subscriber
//! as they came, under the subscriber's SSRC and payload type and with sequence numbers of
//! the subscriber's m-line. No depacketizing, no packetizing again per subscriber.

/// Maps one publisher track's extended sequence numbers onto one subscriber m-line.
///
/// The numbers continue what the m-line carried before (a recycled m-line keeps its SSRC, so
/// they must not jump back), and gaps and reordering stay as they arrived: the subscriber
/// NACKs a gap, the SFU's own NACK to the publisher fills it, and the repair goes out late
/// under the number the gap left for it.
#[derive(Debug, Clone, Copy)]
pub struct SeqRewrite {
    /// The first number this track gets on the m-line.
    start: u64,
    /// Added (wrapping) to the publisher's number; fixed by the first packet forwarded.
    delta: Option<u64>,
    /// One past the highest number given out.
    next: u64,
}

/// How far ahead of the first packet a number may be (a sanity bound: 2^40 packets is years).
const MAX_AHEAD: u64 = 1 << 40;

impl SeqRewrite {
    /// A fresh m-line starts at 1: a stream's first number must carry no rollover count
    /// (a receiver starts at zero).
    pub const FRESH: SeqRewrite = SeqRewrite::starting_at(1);

    pub const fn starting_at(start: u64) -> Self {
        Self {
            start,
            delta: None,
            next: start,
        }
    }

    /// The m-line's number for the publisher's packet `seq`; `None` for a packet older than
    /// the first one forwarded (there is no number left for it).
    pub fn map(&mut self, seq: u64) -> Option<u64> {
        let delta = *self.delta.get_or_insert(self.start.wrapping_sub(seq));
        let out = seq.wrapping_add(delta);
        if out < self.start || out - self.start > MAX_AHEAD {
            return None;
        }
        self.next = self.next.max(out + 1);
        Some(out)
    }

    /// Where the m-line's next track starts.
    pub fn next(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_start_fresh_and_keep_gaps_and_reordering() {
        let mut s = SeqRewrite::FRESH;
        assert_eq!(s.map(40_000), Some(1));
        assert_eq!(s.map(40_001), Some(2));
        // 40,002 is lost for now; 40,003 and 40,004 arrive.
        assert_eq!(s.map(40_003), Some(4));
        assert_eq!(s.map(40_004), Some(5));
        // The repair of 40,002 goes out under the number its gap left.
        assert_eq!(s.map(40_002), Some(3));
        assert_eq!(s.next(), 6);
        // Older than the first packet: no number left for it.
        assert_eq!(s.map(39_999), None);
        assert_eq!(s.map(0), None);
    }

    #[test]
    fn a_recycled_m_line_continues_where_its_last_track_ended() {
        let mut first = SeqRewrite::FRESH;
        for seq in 7..107 {
            first.map(seq);
        }
        let mut second = SeqRewrite::starting_at(first.next());
        assert_eq!(second.map(65_000), Some(101));
        // The publisher's own rollover (extended numbers) passes through.
        assert_eq!(second.map(65_536 + 10), Some(101 + 546));
    }
}
