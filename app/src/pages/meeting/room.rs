//! The meeting room: video grid (or a stage for a screen share or pinned tile), controls,
//! participants panel, and connection notices.

use crate::call::actions;
use crate::call::layout::{STAGE_STRIP, grid_class, stage};
use crate::call::{CallState, Phase};
use crate::components::call_controls::ControlBar;
use crate::components::chat::ChatPanel;
use crate::components::copy_link::CopyLink;
use crate::components::device_select::DeviceSelects;
use crate::components::lobby::LobbyPanel;
use crate::components::participants::ParticipantsPanel;
use crate::components::prompts::Prompts;
use crate::components::shortcuts::{ShortcutsButton, ShortcutsHelp};
use crate::components::video_tile::VideoTile;
use leptos::prelude::*;
use leptos_meta::Title;

const COPY_LINK: &str = "shrink-0 rounded-md border border-slate-700 px-2 py-1 text-xs font-medium text-slate-200 hover:bg-slate-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400";

#[component]
pub fn Room(title: String) -> impl IntoView {
    let state = CallState::get();
    let show_people = RwSignal::new(false);
    let show_devices = RwSignal::new(false);
    let tiles = Memo::new(move |_| state.tiles());
    let on_stage = Memo::new(move |_| stage(&tiles.get(), state.pinned.get().as_ref()));
    let staged = move || on_stage.with(Option::is_some);
    // Each layout class is toggled on its own: a reactive `class=` string did not update here.
    let grid = Memo::new(move |_| {
        if on_stage.get().is_some() {
            STAGE_STRIP
        } else {
            grid_class(tiles.with(Vec::len))
        }
    });
    let has = move |c: &'static str| move || grid.get().split(' ').any(|x| x == c);
    let reconnecting = move || state.phase.get() == Phase::Reconnecting;
    let side = move || show_people.get() || state.chat_open.get() || show_devices.get();
    let tab_title = {
        let title = title.clone();
        move || tab_title(&title, state.lobby.with(Vec::len), state.unread.get())
    };
    // The room covers the page: what is under it (the skip link, the site header) is out of
    // the Tab order while it is shown, and the focus, which was on the pre-join's Join button
    // (gone now), lands on the room instead of the page's body.
    let room = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    watch_network(state);
    // A reload starts from here: the seat this tab keeps is as fresh as the page's last moment.
    #[cfg(feature = "hydrate")]
    {
        let hide = window_event_listener(
            leptos::ev::Custom::<web_sys::Event>::new("pagehide"),
            move |_| {
                crate::call::seat::touch(js_sys::Date::now());
            },
        );
        on_cleanup(move || hide.remove());
    }
    #[cfg(feature = "hydrate")]
    {
        set_covered(true);
        on_cleanup(|| set_covered(false));
        Effect::new(move |_| {
            if let Some(el) = room.get() {
                let _ = el.focus();
            }
        });
    }
    view! {
        // Someone at the door, and unread chat, show in the tab's title too, for someone
        // looking at another tab.
        <Title text=tab_title />
        // The whole viewport, over the page header: tiles as large as the window allows,
        // controls pinned to the bottom (clear of a phone's home indicator).
        <div node_ref=room tabindex="-1" aria-label="Meeting room" class="fixed inset-0 z-40 flex flex-col gap-2 bg-slate-950 pt-2 text-slate-100 focus:outline-none" data-testid="room">
            <div class="flex flex-wrap items-center justify-between gap-2 px-3">
                <div class="flex min-w-0 items-center gap-2">
                    <h1 class="truncate text-base font-semibold sm:text-lg">{title}</h1>
                    <CopyLink class=COPY_LINK testid="room-copy-link" />
                </div>
                <div class="flex flex-wrap items-center gap-2" aria-live="polite">
                    <Show when=move || state.offline.get()>
                        <p class="rounded-md bg-amber-100 px-3 py-1 text-sm text-amber-900" role="status" data-testid="offline">
                            "You are offline. The call reconnects when your network is back…"
                        </p>
                    </Show>
                    <Show when=move || reconnecting() && !state.offline.get()>
                        <p class="rounded-md bg-amber-100 px-3 py-1 text-sm text-amber-900" role="status" data-testid="reconnecting">
                            "Connection lost. Reconnecting…"
                        </p>
                    </Show>
                    <Show when=move || state.locked.get()>
                        <p class="rounded-md bg-slate-800 px-3 py-1 text-sm" data-testid="locked-badge">"🔒 Locked"</p>
                    </Show>
                    <Show when=move || state.camera_stalled.get()>
                        <p class="rounded-md bg-amber-100 px-3 py-1 text-sm text-amber-900" role="alert" data-testid="camera-stalled">
                            "Others can't see your camera: the browser can't send its picture. Choose another camera in settings."
                        </p>
                    </Show>
                </div>
            </div>
            <div class="space-y-2 px-3 empty:hidden">
                <LobbyPanel />
                <Prompts />
            </div>
            <div class="relative flex min-h-0 flex-1 gap-3 px-2 sm:px-3">
                <div
                    class="grid min-h-0 min-w-0 flex-1 gap-2 overflow-y-auto"
                    class=("content-start", staged)
                    class=("auto-rows-[minmax(7rem,1fr)]", move || !staged())
                    class=("grid-cols-1", has("grid-cols-1"))
                    class=("grid-cols-2", has("grid-cols-2"))
                    class=("grid-cols-3", has("grid-cols-3"))
                    class=("sm:grid-cols-2", has("sm:grid-cols-2"))
                    class=("sm:grid-cols-4", has("sm:grid-cols-4"))
                    class=("lg:grid-cols-3", has("lg:grid-cols-3"))
                    class=("lg:grid-cols-6", has("lg:grid-cols-6"))
                    data-testid="grid"
                    data-layout=move || grid.get()
                >
                    <For
                        each=move || tiles.get()
                        key=|t| t.clone()
                        children=move |tile| {
                            let key = tile.clone();
                            let is_stage = Memo::new(move |_| on_stage.get().as_ref() == Some(&key));
                            // Without a stage every tile fills its grid cell.
                            let large = Signal::derive(move || !staged());
                            view! {
                                <div
                                    data-staged=move || is_stage.get().to_string()
                                    class:col-span-full=move || is_stage.get()
                                    class:order-first=move || is_stage.get()
                                    class:mx-auto=move || is_stage.get()
                                    class="min-h-0 w-full"
                                    style:max-width=move || if is_stage.get() { "calc(62vh * 16 / 9)" } else { "" }
                                >
                                    <VideoTile tile large />
                                </div>
                            }
                        }
                    />
                </div>
                // Beside the tiles on wide screens; over them on phones (the buttons that
                // open them stay in reach to close them).
                <Show when=side>
                    <div class="absolute inset-0 z-10 flex flex-col gap-3 overflow-y-auto bg-slate-950/95 p-2 text-slate-900 dark:text-slate-100 lg:static lg:w-80 lg:shrink-0 lg:bg-transparent lg:p-0" data-testid="side-panel">
                        <Show when=move || show_devices.get()>
                            // Switching here swaps tracks on every connection (replaceTrack), no renegotiation.
                            <section id="device-settings" aria-label="Device settings" class="grid gap-2 rounded-xl border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
                                <DeviceSelects />
                                <IncomingVideo />
                                <ShortcutsButton />
                            </section>
                        </Show>
                        <Show when=move || show_people.get()>
                            <ParticipantsPanel />
                        </Show>
                        <Show when=move || state.chat_open.get()>
                            <ChatPanel />
                        </Show>
                    </div>
                </Show>
            </div>
            <div class="shrink-0 pb-[max(0.25rem,env(safe-area-inset-bottom))]">
                <ControlBar show_people show_devices />
                <ShortcutsHelp />
            </div>
            <Toast />
            // Always in the page, whatever panel is open: joins, leaves, mutes, hands.
            <p class="sr-only" aria-live="polite" role="status" data-testid="announcer">
                {move || state.announcement.get()}
            </p>
        </div>
    }
    .into_any()
}

/// Data saver: the others' cameras off (audio and screen shares go on).
#[component]
fn IncomingVideo() -> impl IntoView {
    let state = CallState::get();
    view! {
        <label class="flex items-start gap-2 text-sm">
            <input
                type="checkbox"
                class="mt-0.5 h-4 w-4"
                data-testid="incoming-video"
                prop:checked=move || state.incoming_video()
                on:change=move |ev| actions::set_incoming_video(state, event_target_checked(&ev))
            />
            <span>
                "Show others' cameras"
                <span class="block text-xs text-slate-500 dark:text-slate-400">"Turn off on a slow connection: you still hear everyone and see shared screens."</span>
            </span>
        </label>
    }
}

/// The latest short message, cleared after a few seconds.
#[component]
fn Toast() -> impl IntoView {
    let state = CallState::get();
    Effect::new(move |_| {
        let rev = state.toast_rev.get();
        set_timeout(
            move || {
                if state.toast_rev.get_untracked() == rev {
                    state.toast.set(None);
                }
            },
            std::time::Duration::from_secs(5),
        );
    });
    view! {
        <div class="pointer-events-none fixed inset-x-0 bottom-32 z-50 flex justify-center px-4 sm:bottom-24" role="status" aria-live="polite">
            {move || state.toast.get().map(|t| view! {
                <p class="rounded-lg bg-slate-900 px-4 py-2 text-sm text-white shadow-lg" data-testid="toast">{t}</p>
            })}
        </div>
    }
}

/// The tab's title: the meeting's, after what waits for this person — people at the door
/// (for those who run the room) and chat messages they have not seen.
fn tab_title(title: &str, waiting: usize, unread: u32) -> String {
    let waiting = (waiting > 0).then(|| format!("{waiting} waiting"));
    let unread = (unread > 0).then(|| format!("{unread} new"));
    match (waiting, unread) {
        (None, None) => title.to_owned(),
        (Some(one), None) | (None, Some(one)) => format!("({one}) {title}"),
        (Some(w), Some(u)) => format!("({w}, {u}) {title}"),
    }
}

#[cfg(test)]
mod tests {
    use super::tab_title;

    #[test]
    fn the_tab_title_says_who_waits_and_what_is_unread() {
        assert_eq!(tab_title("Standup", 0, 0), "Standup");
        assert_eq!(tab_title("Standup", 2, 0), "(2 waiting) Standup");
        assert_eq!(tab_title("Standup", 0, 3), "(3 new) Standup");
        assert_eq!(tab_title("Standup", 1, 4), "(1 waiting, 4 new) Standup");
    }
}

/// Makes what the room covers (the skip link and the site header) inert, or live again.
#[cfg(feature = "hydrate")]
fn set_covered(covered: bool) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(nodes) = doc.query_selector_all("body > a[href='#main'], header") else {
        return;
    };
    for i in 0..nodes.length() {
        let Some(el) = nodes
            .item(i)
            .and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
        else {
            continue;
        };
        let _ = if covered {
            el.set_attribute("inert", "")
        } else {
            el.remove_attribute("inert")
        };
    }
}

/// Follows the browser's network state: offline shows at once (the socket and the media may
/// take seconds to notice), and coming back says so once the call is whole again.
#[cfg(feature = "hydrate")]
fn watch_network(state: CallState) {
    let offline_now = web_sys::window().is_some_and(|w| !w.navigator().on_line());
    state.offline.set(offline_now);
    let off = window_event_listener(leptos::ev::offline, move |_| state.offline.set(true));
    let on = window_event_listener(leptos::ev::online, move |_| {
        state.offline.set(false);
        if state.phase.get_untracked() == Phase::InCall {
            state.show_toast("You are back online.");
        }
    });
    // A reconnection that ends (the socket resumed) is worth a word too.
    Effect::new(move |was: Option<bool>| {
        let now = state.phase.get() == Phase::Reconnecting;
        if was == Some(true) && !now && state.phase.get_untracked() == Phase::InCall {
            state.show_toast("Reconnected.");
        }
        now
    });
    on_cleanup(move || {
        off.remove();
        on.remove();
    });
}
