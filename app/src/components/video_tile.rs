//! One video on screen: a camera or a screen share, mine or someone else's, with the name,
//! mute / camera-off state, speaking ring, connection quality, and buttons to pin it or show it
//! full screen.

use crate::call::{CallState, LinkState, TileKey};
use crate::components::avatar::Avatar;
use crate::components::icons::{Icon, Svg};
use leptos::html::Video;
use leptos::prelude::*;

/// What a tile shows besides the video, derived from the call state.
#[derive(Debug, Clone, PartialEq, Default)]
struct TileInfo {
    name: String,
    audio: bool,
    video: bool,
    speaking: bool,
    reconnecting: bool,
    quality: Option<crate::call::Quality>,
    hand: bool,
    /// Profile picture path, shown when the camera is off.
    avatar: Option<String>,
    /// Their camera is on, but I turned the others' cameras off (data saver).
    paused: bool,
}

fn tile_info(state: CallState, tile: &TileKey) -> TileInfo {
    match tile {
        TileKey::Me | TileKey::MyScreen => {
            let local = state.local.get();
            let name = state.my_name.get();
            TileInfo {
                name: if name.is_empty() {
                    "You".into()
                } else {
                    format!("{name} (you)")
                },
                audio: local.audio,
                video: if matches!(tile, TileKey::Me) {
                    local.video
                } else {
                    local.screen
                },
                speaking: matches!(tile, TileKey::Me) && local.audio && state.me_speaking.get(),
                reconnecting: false,
                quality: None,
                hand: matches!(tile, TileKey::Me) && state.hand.get(),
                avatar: state
                    .me
                    .with(|me| me.as_ref().and_then(|me| me.avatar.clone())),
                paused: false,
            }
        }
        TileKey::Camera(id) | TileKey::Screen(id) => state
            .peers
            .with(|list| list.iter().find(|p| &p.info.id == id).cloned())
            .map(|p| {
                // Off: the data saver hides their camera.
                let cameras_shown = state.incoming_video();
                TileInfo {
                    name: p.info.display_name.clone(),
                    audio: p.info.media.audio,
                    video: if tile.is_screen() {
                        p.info.media.screen
                    } else {
                        p.info.media.video && cameras_shown
                    },
                    speaking: !tile.is_screen() && p.speaking && p.info.media.audio,
                    reconnecting: p.info.reconnecting || p.link == LinkState::Reconnecting,
                    quality: p.quality,
                    hand: !tile.is_screen() && p.info.hand.is_some(),
                    avatar: p.info.avatar.clone(),
                    paused: !tile.is_screen() && p.info.media.video && !cameras_shown,
                }
            })
            .unwrap_or_default(),
    }
}

#[component]
pub fn VideoTile(tile: TileKey, #[prop(into)] large: Signal<bool>) -> impl IntoView {
    let state = CallState::get();
    let info = Memo::new({
        let tile = tile.clone();
        move |_| tile_info(state, &tile)
    });
    let video_ref = NodeRef::<Video>::new();
    {
        let tile = tile.clone();
        Effect::new(move |_| {
            state.streams_rev.track();
            info.with(|i| i.video);
            #[cfg(feature = "hydrate")]
            if let Some(video) = video_ref.get() {
                crate::call::actions::attach(&video, &tile);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&tile, video_ref);
        });
    }
    let mine = matches!(tile, TileKey::Me | TileKey::MyScreen);
    let screen = tile.is_screen();
    let pin_key = tile.clone();
    let pinned = Memo::new(move |_| state.pinned.get().as_ref() == Some(&pin_key));
    let toggle_pin = {
        let tile = tile.clone();
        move |_| {
            let now = state.pinned.get_untracked();
            state.pinned.set(if now.as_ref() == Some(&tile) {
                None
            } else {
                Some(tile.clone())
            });
        }
    };
    let figure_ref = NodeRef::<leptos::html::Figure>::new();
    let full = full_screen(figure_ref);
    let name = move || info.with(|i| i.name.clone());
    // Reactions show on camera tiles: mine (`None`) or the participant's.
    let who = match &tile {
        TileKey::Me => Some(None),
        TileKey::Camera(id) => Some(Some(id.clone())),
        _ => None,
    };
    let reaction = Memo::new(move |_| {
        let who = who.as_ref()?;
        state.reactions.with(|r| {
            r.iter()
                .rev()
                .find(|(w, _, _)| w == who)
                .map(|(_, r, _)| *r)
        })
    });
    view! {
        <figure
            node_ref=figure_ref
            id=tile.dom_id()
            data-testid="tile"
            data-tile=tile.dom_id()
            data-name=name
            data-screen=screen.to_string()
            data-muted=move || (!info.with(|i| i.audio)).to_string()
            data-camera-off=move || (!info.with(|i| i.video)).to_string()
            data-speaking=move || info.with(|i| i.speaking).to_string()
            data-reconnecting=move || info.with(|i| i.reconnecting).to_string()
            data-audio-bytes=move || info.with(|i| i.quality.map(|q| q.audio_bytes_in).unwrap_or(0)).to_string()
            data-audio-energy=move || info.with(|i| i.quality.map(|q| q.audio_energy).unwrap_or(0.0)).to_string()
            data-relayed=move || info.with(|i| i.quality.is_some_and(|q| q.relayed)).to_string()
            data-frames=move || info.with(|i| i.quality.map(|q| q.video_frames_decoded).unwrap_or(0)).to_string()
            class="group relative overflow-hidden rounded-xl bg-slate-900 ring-2 transition-shadow"
            class=("aspect-video", move || !large.get())
            class=("h-full", move || large.get())
            class=("ring-emerald-400", move || info.with(|i| i.speaking))
            class=("ring-transparent", move || !info.with(|i| i.speaking))
        >
            <video
                node_ref=video_ref
                autoplay
                playsinline
                muted=mine
                prop:muted=mine
                // A camera tile plays its microphone only while the server says it is on
                // (the participant's own announcement, or off after a host's mute): a page
                // that keeps sending audio while it shows muted is not heard. The element is
                // never `muted` for this, so the autoplay policy does not pause it on unmute.
                prop:volume=move || if screen || info.with(|i| i.audio) { 1.0 } else { 0.0 }
                data-remote-media=(!mine).then_some("true")
                class="h-full w-full bg-black"
                class=("object-contain", move || screen || full.get())
                class=("object-cover", move || !screen && !full.get())
                class=("-scale-x-100", matches!(tile, TileKey::Me))
                class=("invisible", move || !info.with(|i| i.video))
            ></video>
            <Show when=move || !info.with(|i| i.video)>
                <div class="absolute inset-0 flex items-center justify-center" aria-hidden="true">
                    <Avatar
                        name=Signal::derive(move || info.with(|i| i.name.clone()))
                        url=Signal::derive(move || info.with(|i| i.avatar.clone()))
                        class="h-20 w-20 text-2xl"
                    />
                </div>
                <Show when=move || info.with(|i| i.paused)>
                    <p class="absolute inset-x-0 top-2 text-center text-xs text-slate-300" data-testid="video-paused">
                        "Video paused to save bandwidth"
                    </p>
                </Show>
            </Show>
            <figcaption class="absolute bottom-2 left-2 flex max-w-[80%] items-center gap-1 rounded-md bg-black/60 px-2 py-1 text-sm text-white">
                <Show when=move || !info.with(|i| i.audio) && !screen>
                    <span data-testid="muted-icon" title="Microphone off" class="text-red-400">
                        <Svg icon=Icon::MicOff class="h-4 w-4" />
                        <span class="sr-only">"Microphone off"</span>
                    </span>
                </Show>
                <span class="truncate">{name}{screen.then_some(" · screen")}</span>
            </figcaption>
            <Show when=move || info.with(|i| i.hand)>
                <span class="absolute left-2 top-2 rounded-md bg-amber-400 px-1.5 py-0.5 text-sm text-black" data-testid="hand-raised" title="Hand raised">
                    <Svg icon=Icon::Hand class="h-4 w-4" />
                    <span class="sr-only">"Hand raised"</span>
                </span>
            </Show>
            {move || reaction.get().map(|r| view! {
                <span class="pointer-events-none absolute inset-x-0 top-1/4 animate-bounce text-center text-5xl" data-testid="reaction" data-reaction=r.label() role="img" aria-label=r.label()>{r.emoji()}</span>
            })}
            <Show when=move || info.with(|i| i.reconnecting)>
                <div class="absolute inset-x-0 top-0 bg-amber-500/90 px-2 py-1 text-center text-sm text-black" role="status">"Reconnecting…"</div>
            </Show>
            {move || info.with(|i| i.quality).map(|q| {
                let level = q.level();
                view! {
                    <span class="absolute right-2 top-2 flex items-end gap-0.5 rounded bg-black/60 px-1.5 py-1" role="img" title=q.summary() aria-label=q.summary() data-testid="quality" data-level=level.bars().to_string()>
                        {(1..=3u8).map(|b| view! {
                            <span class="w-1 rounded-sm"
                                class=("bg-emerald-400", b <= level.bars())
                                class=("bg-white/30", b > level.bars())
                                style:height=format!("{}px", 4 + 3 * b)></span>
                        }).collect_view()}
                    </span>
                }
            })}
            <span class="absolute bottom-2 right-2 flex gap-1">
                <button
                    type="button"
                    on:click=move |_| toggle_full_screen(figure_ref)
                    class=TILE_BUTTON
                    aria-pressed=move || full.get().to_string()
                    aria-label=move || if full.get() { "Exit full screen".to_owned() } else { format!("Show {} full screen", name()) }
                    data-testid="full-screen"
                >
                    {move || if full.get() { "Exit full screen" } else { "Full screen" }}
                </button>
                <button
                    type="button"
                    on:click=toggle_pin
                    class=TILE_BUTTON
                    aria-pressed=move || pinned.get().to_string()
                    aria-label=move || format!("{} {}", if pinned.get() { "Unpin" } else { "Pin" }, name())
                >
                    {move || if pinned.get() { "Unpin" } else { "Pin" }}
                </button>
            </span>
        </figure>
    }
    .into_any()
}

/// A tile's own buttons: shown on hover or keyboard focus.
const TILE_BUTTON: &str = "rounded-md bg-black/60 px-2 py-1 text-xs text-white opacity-0 focus:opacity-100 group-hover:opacity-100";

/// Whether the tile `figure` is the page's full-screen element, kept up to date as the browser
/// enters and leaves full screen (its button, or Esc).
fn full_screen(figure: NodeRef<leptos::html::Figure>) -> RwSignal<bool> {
    let full = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener_untyped("fullscreenchange", move |_| {
            let now = document().fullscreen_element();
            let mine = figure
                .get_untracked()
                .is_some_and(|f| now.is_some_and(|n| *n == **f));
            full.try_set(mine);
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = figure;
    full
}

/// Shows the tile full screen, or leaves full screen if it is.
fn toggle_full_screen(figure: NodeRef<leptos::html::Figure>) {
    #[cfg(feature = "hydrate")]
    {
        let Some(figure) = figure.get_untracked() else {
            return;
        };
        if document().fullscreen_element().is_some() {
            document().exit_fullscreen();
        } else if let Err(e) = figure.request_fullscreen() {
            web_sys::console::warn_2(&"full screen:".into(), &e);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = figure;
}
