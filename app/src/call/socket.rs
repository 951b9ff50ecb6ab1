//! The signaling WebSocket (on `gloo-net`): typed messages in and out, one `Open` when it is
//! ready and one `Closed` when it goes. Reconnecting and resuming are the engine's decision,
//! not this module's. Dropping a `Socket` closes it without a `Closed` event.
//!
//! `Open` comes from the browser's own `open` event, not from gloo's sink turning ready: that
//! happens only on `open` or `error`, and a socket that closes without either (a proxy that
//! refuses it) would leave the reader waiting forever instead of reporting `Closed`.

use futures_core::Stream;
use futures_sink::Sink;
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use protocol::signal::{ClientMsg, ServerMsg};
use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::Poll;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

pub enum SocketEvent {
    Open,
    Message(ServerMsg),
    /// A frame the client does not understand (a newer server?); logged, not fatal.
    Garbled,
    Closed,
}

pub struct Socket {
    /// The reading task holds a `Weak`: when this goes, the socket closes and the task ends.
    ws: Rc<RefCell<WebSocket>>,
    raw: web_sys::WebSocket,
    on_open: Closure<dyn FnMut()>,
}

fn url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

impl Socket {
    pub fn open(on_event: impl Fn(SocketEvent) + 'static) -> Option<Self> {
        let raw = web_sys::WebSocket::new(&url()?).ok()?;
        let on_event = Rc::new(on_event);
        let handler = on_event.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || handler(SocketEvent::Open));
        raw.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref())
            .ok()?;
        let ws = Rc::new(RefCell::new(WebSocket::try_from(raw.clone()).ok()?));
        wasm_bindgen_futures::spawn_local(read(Rc::downgrade(&ws), move |event| on_event(event)));
        Some(Self { ws, raw, on_open })
    }

    /// Sends now if the socket is open; otherwise the message is dropped (the engine queues
    /// what must not be lost and resends after `Open`).
    pub fn send(&self, msg: &ClientMsg) {
        let Ok(mut ws) = self.ws.try_borrow_mut() else {
            return;
        };
        if !matches!(ws.state(), State::Open) {
            return;
        }
        if let Ok(text) = serde_json::to_string(msg) {
            // An open socket's sink is always ready; a failed send shows up as a close.
            let _ = Pin::new(&mut *ws).start_send(Message::Text(text));
        }
    }

    pub fn is_open(&self) -> bool {
        self.ws
            .try_borrow()
            .is_ok_and(|ws| matches!(ws.state(), State::Open))
    }
}

/// Reports what arrives until the socket closes or the `Socket` is dropped. Borrows the
/// socket only while polling it, never while `on_event` runs (which may send or drop it).
async fn read(ws: Weak<RefCell<WebSocket>>, on_event: impl Fn(SocketEvent)) {
    loop {
        let next = poll_fn(|cx| match ws.upgrade() {
            None => Poll::Ready(None),
            Some(ws) => Pin::new(&mut *ws.borrow_mut()).poll_next(cx).map(Some),
        })
        .await;
        let event = match next {
            // Dropped by its owner: nobody to tell.
            None => return,
            Some(Some(Ok(Message::Text(text)))) => serde_json::from_str::<ServerMsg>(&text)
                .map_or(SocketEvent::Garbled, SocketEvent::Message),
            Some(Some(Ok(Message::Bytes(_)))) => SocketEvent::Garbled,
            // An error event; the close event comes next.
            Some(Some(Err(WebSocketError::ConnectionError))) => continue,
            Some(Some(Err(_))) | Some(None) => {
                on_event(SocketEvent::Closed);
                return;
            }
        };
        on_event(event);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // The closure dies with `self` and must not be called afterwards.
        let _ = self
            .raw
            .remove_event_listener_with_callback("open", self.on_open.as_ref().unchecked_ref());
    }
}
