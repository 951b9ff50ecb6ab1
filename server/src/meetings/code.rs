//! Meeting codes like `abc-defg-hij`: easy to read aloud, hard to guess (26^10 ≈ 1.4e14).

use protocol::MeetingCode;
use rand::Rng;

pub fn generate() -> MeetingCode {
    let mut rng = rand::rng();
    let letters: String = (0..10)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect();
    MeetingCode::parse(&letters).expect("ten lowercase letters always form a valid code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_have_the_public_shape() {
        for _ in 0..100 {
            let code = generate();
            let s = code.as_str();
            assert_eq!(s.len(), 12);
            assert_eq!(&s[3..4], "-");
            assert_eq!(&s[8..9], "-");
            assert_eq!(MeetingCode::parse(s), Some(code.clone()));
        }
    }

    #[test]
    fn codes_do_not_repeat() {
        let codes: std::collections::HashSet<_> = (0..1000).map(|_| generate()).collect();
        assert_eq!(codes.len(), 1000);
    }
}
