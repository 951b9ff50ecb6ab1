//! Where tiles go: an even grid for cameras, or a large stage (screen share or pinned tile)
//! with the others in a strip beside it.

use super::TileKey;

/// Columns of the strip under the stage.
pub const STAGE_STRIP: &str = "grid-cols-3 sm:grid-cols-4 lg:grid-cols-6";

/// Grid columns for `n` equal tiles (1..6 in a mesh; more wrap).
pub fn grid_class(n: usize) -> &'static str {
    match n {
        0 | 1 => "grid-cols-1",
        2 => "grid-cols-1 sm:grid-cols-2",
        3 | 4 => "grid-cols-2",
        _ => "grid-cols-2 lg:grid-cols-3",
    }
}

/// The tile on the stage: a pinned tile wins, then the newest remote screen share. My own
/// screen share stays a tile unless I pin it: a presenter sees the screen itself, and a
/// full-size copy of it only takes the room from the people they present to.
pub fn stage(tiles: &[TileKey], pinned: Option<&TileKey>) -> Option<TileKey> {
    if let Some(pin) = pinned
        && tiles.contains(pin)
    {
        return Some(pin.clone());
    }
    tiles
        .iter()
        .rev()
        .find(|t| matches!(t, TileKey::Screen(_)))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::signal::PeerId;

    #[test]
    fn remote_screen_takes_the_stage_unless_something_is_pinned() {
        let a = PeerId("a".into());
        let tiles = vec![
            TileKey::Me,
            TileKey::MyScreen,
            TileKey::Camera(a.clone()),
            TileKey::Screen(a.clone()),
        ];
        assert_eq!(stage(&tiles, None), Some(TileKey::Screen(a.clone())));
        assert_eq!(
            stage(&tiles, Some(&TileKey::Camera(a.clone()))),
            Some(TileKey::Camera(a.clone()))
        );
        // A pin on a tile that has gone falls back to the screen share.
        let gone = TileKey::Camera(PeerId("b".into()));
        assert_eq!(stage(&tiles, Some(&gone)), Some(TileKey::Screen(a)));
        // My own share is not staged by itself; pinned, it is.
        assert_eq!(stage(&[TileKey::Me, TileKey::MyScreen], None), None);
        assert_eq!(
            stage(&[TileKey::Me, TileKey::MyScreen], Some(&TileKey::MyScreen)),
            Some(TileKey::MyScreen)
        );
        assert_eq!(stage(&[TileKey::Me], None), None);
    }

    #[test]
    fn grid_grows_with_tiles() {
        assert_eq!(grid_class(1), "grid-cols-1");
        assert!(grid_class(2).contains("sm:grid-cols-2"));
        assert_eq!(grid_class(4), "grid-cols-2");
        assert!(grid_class(6).contains("lg:grid-cols-3"));
    }
}
