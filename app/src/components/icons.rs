//! Inline SVG icons (24×24, stroke = currentColor), decorative: the button or label around them
//! carries the accessible name.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Mic,
    MicOff,
    Camera,
    CameraOff,
    Screen,
    People,
    Settings,
    Leave,
    Chat,
    Hand,
    Smile,
}

impl Icon {
    fn paths(self) -> &'static [&'static str] {
        match self {
            Icon::Mic => &[
                "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z",
                "M19 11a7 7 0 0 1-14 0",
                "M12 18v3",
            ],
            Icon::MicOff => &[
                "M3 3l18 18",
                "M9 9v3a3 3 0 0 0 5.1 2.1",
                "M15 9.3V6a3 3 0 0 0-5.9-.8",
                "M19 11a7 7 0 0 1-1.2 3.9M5 11a7 7 0 0 0 10.9 5.8",
                "M12 18v3",
            ],
            Icon::Camera => &["M15 10l5-3v10l-5-3", "M3 7h12v10H3z"],
            Icon::CameraOff => &[
                "M3 3l18 18",
                "M15 10l5-3v10l-3.5-2.1",
                "M11 7h4v4M3 7h2m10 10H3V7",
            ],
            Icon::Screen => &["M3 4h18v12H3z", "M8 20h8", "M12 16v4"],
            Icon::Chat => &["M21 12a8 8 0 0 1-11.8 7L3 21l2-6.2A8 8 0 1 1 21 12z"],
            Icon::Hand => &[
                "M18 11V6a2 2 0 0 0-4 0v5",
                "M14 10V4a2 2 0 0 0-4 0v2",
                "M10 10.5V6a2 2 0 0 0-4 0v8",
                "M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.9-6-2.3l-3.6-3.6a2 2 0 0 1 2.8-2.8L7 15",
            ],
            Icon::Smile => &[
                "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z",
                "M8 14s1.5 2 4 2 4-2 4-2",
                "M9 9h.01",
                "M15 9h.01",
            ],
            Icon::People => &[
                "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
                "M2 21a7 7 0 0 1 14 0",
                "M17 11a3 3 0 1 0 0-6",
                "M22 21a6 6 0 0 0-4-5.6",
            ],
            Icon::Settings => &[
                "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
                "M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-2.9 1.2V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-2.9-1.2l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1A1.7 1.7 0 0 0 3 15H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.2-2.9l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1A1.7 1.7 0 0 0 9 4.6V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 2.9 1.2l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1A1.7 1.7 0 0 0 21 11h.1a2 2 0 1 1 0 4H21a1.7 1.7 0 0 0-1.6 0z",
            ],
            Icon::Leave => &[
                "M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8.1 9.8",
                "M23 1L1 23",
            ],
        }
    }
}

#[component]
pub fn Svg(icon: Icon, #[prop(default = "h-5 w-5")] class: &'static str) -> impl IntoView {
    view! {
        <svg class=class viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            {icon.paths().iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}
