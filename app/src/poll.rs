//! Looking something up again now and then, only while the tab is visible (a tab in the
//! background asks nothing). Browser only: during server rendering this does nothing.

use std::time::Duration;

/// Runs `tick` every `period` while the document is visible, until the calling component
/// goes away.
pub fn while_visible(period: Duration, tick: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::{document, on_cleanup, set_interval_with_handle};
        let handle = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    tick();
                }
            },
            period,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (period, tick);
}
